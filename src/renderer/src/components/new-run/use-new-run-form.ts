import { computed, reactive, ref } from 'vue';
import { SearchConfigSchema, isDryRun, minTrainImages, type Estimation, type SearchConfig } from '../../../../shared/config';
import { SPACE_DESCRIPTORS, SpaceConfigSchema, type SpaceName } from '../../../../shared/spaces/registry';
import { STRATEGY_DESCRIPTORS, STRATEGY_OPTION_SCHEMAS, dryRunIgnoredOptions, type StrategyName } from '../../../../shared/strategies/registry';
import { optionFields, schemaDefaults, type OptionField } from '../../lib/schema-fields';
import { pathErrors } from '../../lib/validation';

// The New-run form's state and validation: common fields, `space: { name, … }` and `strategy: { name, … }`
// exactly as the run config nests them, validated as a whole by SearchConfigSchema so every message carries
// the field's path ("strategy.decisionFreq").

export type FormValue = string | number | boolean | string[];
type Values = Record<string, FormValue>;

const SPACE_SCHEMAS = Object.fromEntries(SpaceConfigSchema.options.map((s) => [s.shape.name.value, s])) as Record<SpaceName, (typeof SpaceConfigSchema.options)[number]>;

/** Defaults of the common fields (dataset is the one required field). */
const COMMON_DEFAULTS: Values = (() => {
  const r = SearchConfigSchema.safeParse({ dataset: '-' });
  if (!r.success) throw new Error('SearchConfigSchema defaults do not validate');
  const { space: _s, strategy: _t, ...common } = r.data;
  return { ...(common as Values), dataset: '', name: '' };
})();
/** The common fields' defaults under a strategy: the config's, with the strategy descriptor's own on top. */
export const commonDefaults = (name: StrategyName): Values => ({ ...COMMON_DEFAULTS, ...((STRATEGY_DESCRIPTORS as Record<string, { commonDefaults?: Values }>)[name]?.commonDefaults ?? {}) });
export const spaceDefaults = (name: SpaceName): Values => schemaDefaults(SPACE_SCHEMAS[name], name) as Values;
export const strategyDefaults = (name: StrategyName): Values => schemaDefaults(STRATEGY_OPTION_SCHEMAS[name], name) as Values;
export const spaceFields = (name: SpaceName): OptionField[] => optionFields(SPACE_SCHEMAS[name]);
export const strategyFields = (name: StrategyName): OptionField[] => optionFields(STRATEGY_OPTION_SCHEMAS[name]);
/** Whether this space and strategy can run on the NAS-Bench-201 table instead of training (a dry run). */
export function canDryRun(space: string, strategy: string): boolean {
  return space === 'nb201' && (STRATEGY_DESCRIPTORS as Record<string, { tableBudget?: string }>)[strategy]?.tableBudget !== undefined;
}

/** The option that counts table queries in a dry run ('samples', or MdeNAS's 'epochs'); null without one. */
export function tableBudgetKey(strategy: string): 'epochs' | 'samples' | null {
  return (STRATEGY_DESCRIPTORS as Record<string, { tableBudget?: 'epochs' | 'samples' }>)[strategy]?.tableBudget ?? null;
}

/** Common fields a dry run has no use for: it reads no dataset and trains nothing. */
export const DRY_RUN_HIDDEN_COMMON = ['dataset', 'batchSize', 'trainLimit', 'trainPortion', 'augment', 'backend', 'recompute', 'threads', 'threadBn'] as const;
/** Space fields that size the supernet, which a dry run never builds. */
export const DRY_RUN_HIDDEN_SPACE = ['channels', 'cells'] as const;
/** Strategy options a dry run ignores (the shared rule the CLI follows too). */
export function dryRunHiddenStrategyKeys(strategy: string): Set<string> {
  return dryRunIgnoredOptions(strategy as StrategyName);
}

export const strategiesFor = (space: SpaceName): StrategyName[] =>
  (Object.keys(STRATEGY_DESCRIPTORS) as StrategyName[]).filter((s) => (STRATEGY_DESCRIPTORS[s].spaces as readonly string[]).includes(space));

/** Empty inputs become NaN so the schema says "Enter a number." instead of silently using the default. */
function clean(values: Values, defaults: Values = {}): Record<string, unknown> {
  // An emptied number field is invalid (NaN); an emptied text field (a default of '') stays the empty text.
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v === '' && typeof defaults[k] !== 'string' ? Number.NaN : v]));
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let o = obj;
  for (const k of keys.slice(0, -1)) o = (o[k] = { ...(o[k] as Record<string, unknown>) });
  o[keys[keys.length - 1]] = value;
}

/** The smallest train limit the app accepts for a dataset with `classes` classes (the shared rule). */
export const minTrainLimit = minTrainImages;

/** Rules that need the chosen dataset, which the config schema cannot see (it holds only the dataset's id). */
export function datasetErrors(trainLimit: unknown, dataset: { classes: number; trainCount: number } | null): Record<string, string> {
  const limit = Number(trainLimit);
  if (!dataset || !Number.isInteger(limit) || limit <= 0) return {};
  const min = minTrainLimit(dataset.classes);
  if (limit >= min || dataset.trainCount < min) return {};
  return { trainLimit: `At least ${min} for ${dataset.classes} classes (or 0 for all images): fewer leave too few to learn from.` };
}

export function useNewRunForm(dataset: () => { classes: number; trainCount: number } | null = () => null) {
  const common = reactive<Values>({ ...COMMON_DEFAULTS });
  const space = reactive<Values>(spaceDefaults('nb201'));
  const strategy = reactive<Values>(strategyDefaults('darts'));
  const touched = reactive<Record<string, boolean>>({});
  const submitted = ref(false);

  function assign(target: Values, from: Values): void {
    for (const k of Object.keys(target)) delete target[k];
    Object.assign(target, from);
  }

  /** Back to the defaults, or to a stored config (a clone: already in today's shape). */
  function reset(from?: SearchConfig): void {
    assign(common, commonDefaults(from?.strategy.name ?? 'darts'));
    assign(space, spaceDefaults(from?.space.name ?? 'nb201'));
    assign(strategy, strategyDefaults(from?.strategy.name ?? 'darts'));
    if (from) {
      const { space: s, strategy: t, ...c } = from;
      Object.assign(common, c, { name: c.name ?? '' });
      Object.assign(space, s);
      Object.assign(strategy, t);
    }
    for (const k of Object.keys(touched)) delete touched[k];
    submitted.value = false;
  }

  function chooseSpace(name: SpaceName): void {
    assign(space, spaceDefaults(name));
    if (!strategiesFor(name).includes(strategy.name as StrategyName)) chooseStrategy(strategiesFor(name)[0]);
    dropDryRunIfUnavailable();
  }

  const dryRun = computed(() => isDryRun({ estimation: common.estimation as Estimation }));
  const dryRunAvailable = computed(() => canDryRun(String(space.name), String(strategy.name)));
  /** Train a supernet on a dataset, or look candidates up in the NAS-Bench-201 table. */
  function chooseEstimation(e: Estimation): void {
    common.estimation = e === 'nb201-table' && !dryRunAvailable.value ? 'supernet' : e;
  }
  /** The dry-run choice is offered only where it applies; a space or strategy without it trains again. */
  function dropDryRunIfUnavailable(): void {
    if (!canDryRun(String(space.name), String(strategy.name))) common.estimation = 'supernet';
  }

  /** A new strategy starts from its defaults but keeps what the user changed in options both share (e.g. order). */
  function chooseStrategy(name: StrategyName): void {
    // Common fields the user left at the old strategy's default take the new one's (InstaNAS: a smaller batch).
    const oldCommon = commonDefaults(strategy.name as StrategyName);
    const nextCommon = commonDefaults(name);
    for (const k of Object.keys(nextCommon)) if (common[k] === oldCommon[k]) common[k] = nextCommon[k];
    const oldDefaults = strategyDefaults(strategy.name as StrategyName);
    const next = strategyDefaults(name);
    for (const [k, v] of Object.entries(strategy)) {
      if (k !== 'name' && k in next && JSON.stringify(v) !== JSON.stringify(oldDefaults[k])) next[k] = v;
    }
    assign(strategy, next);
    dropDryRunIfUnavailable();
  }

  const candidate = computed(() => {
    const c: Record<string, unknown> = clean(common);
    // A dry run reads no dataset; the choice stays in the form for switching back to training.
    c.dataset = dryRun.value ? '' : common.dataset;
    if (typeof common.name === 'string' && common.name.trim()) c.name = common.name.trim();
    else delete c.name;
    c.space = clean(space);
    c.strategy = clean(strategy, strategyDefaults(strategy.name as StrategyName));
    return c;
  });
  const parsed = computed(() => SearchConfigSchema.safeParse(candidate.value));

  /**
   * Messages by field path. Cross-field rules (e.g. wLrMin ≤ wLr, the strategy supporting the space) only run
   * once the fields they read are valid, so re-check with the failing fields at their defaults to report them too.
   */
  const errors = computed<Record<string, string>>(() => {
    const fromDataset = dryRun.value ? {} : datasetErrors(common.trainLimit, dataset());
    let r = parsed.value;
    if (r.success) return fromDataset;
    const out = { ...pathErrors(r.error), ...fromDataset };
    let repaired: Record<string, unknown> = { ...candidate.value, dataset: candidate.value.dataset || '-' };
    const defaults = { ...COMMON_DEFAULTS, space: spaceDefaults(space.name as SpaceName), strategy: strategyDefaults(strategy.name as StrategyName) };
    for (let pass = 0; pass < 3; pass++) {
      for (const path of Object.keys(out)) {
        const [head, leaf] = path.split('.');
        const def = leaf ? (defaults[head as 'space'] as Values)?.[leaf] : (defaults as Record<string, unknown>)[head];
        // setPath copies each object along the path, so the candidate itself is never changed.
        if (def !== undefined && path !== 'dataset') setPath(repaired, path, def);
      }
      r = SearchConfigSchema.safeParse(repaired);
      if (r.success) break;
      const more = Object.entries(pathErrors(r.error)).filter(([k]) => !(k in out));
      if (!more.length) break;
      for (const [k, v] of more) out[k] = v;
    }
    return out;
  });

  /** The config a training run would start with, once every field validates; null otherwise (and for a dry run). */
  const runnableConfig = computed<SearchConfig | null>(() => {
    const r = parsed.value;
    return !dryRun.value && r.success && Object.keys(errors.value).length === 0 ? r.data : null;
  });

  function err(path: string): string | undefined {
    return submitted.value || touched[path] ? errors.value[path] : undefined;
  }

  const spaceLabel = computed(() => SPACE_DESCRIPTORS[space.name as SpaceName]?.label ?? String(space.name));
  return {
    common,
    space,
    strategy,
    touched,
    submitted,
    reset,
    chooseSpace,
    chooseStrategy,
    chooseEstimation,
    dryRun,
    dryRunAvailable,
    candidate,
    parsed,
    errors,
    err,
    spaceLabel,
    runnableConfig,
  };
}
export type NewRunForm = ReturnType<typeof useNewRunForm>;
