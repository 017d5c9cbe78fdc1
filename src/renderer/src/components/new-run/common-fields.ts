import type { OptionField } from '../../lib/schema-fields';

// The New-run form's common training fields (the config schema's top level), as the form shows them.

/** Batch size, train limit and seed; the batch help mentions growth only for strategies that grow it. */
export function commonFields(batchGrows: boolean): OptionField[] {
  return [
    {
      key: 'batchSize',
      label: 'Batch size',
      kind: 'number',
      integer: true,
      default: 64,
      min: 2,
      max: 1024,
      step: 1,
      help: batchGrows ? 'Images per step at the start; grows after each edge decision (see Batch increase).' : 'Images per step.',
    },
    { key: 'trainLimit', label: 'Train limit', kind: 'number', integer: true, default: 0, min: 0, step: 100, help: 'Use the first N class-balanced images; 0 = all.' },
    SEED_FIELD,
  ];
}

export const SEED_FIELD: OptionField = { key: 'seed', label: 'Seed', kind: 'number', integer: true, default: 0, min: 0, step: 1, help: 'Same seed, same backend: same result.' };

export const COMMON_ADVANCED: OptionField[] = [
  { key: 'trainPortion', label: 'Train portion', kind: 'number', integer: false, default: 0.5, min: 0, max: 1, step: 0.05, help: 'Share of the training images for weights; the rest updates the architecture (α, or InstaNAS’s controller).' },
];

/** The table budget of a dry run, named for what it counts there. */
export function dryRunBudgetField(field: OptionField): OptionField {
  const what = field.key === 'epochs' ? 'one sampled architecture looked up per epoch; the search may converge sooner' : 'architectures looked up in the table';
  return { ...field, label: field.key === 'epochs' ? 'Table queries (epochs)' : 'Table queries (samples)', help: `How many NAS-Bench-201 look-ups: ${what}.` };
}
