// Form fields read from a zod options schema (a space's or a strategy's): kind, default, bounds and the
// one-line help each field carries in `.describe()`. The New-run form renders these generically, so a new
// strategy's options appear without form code.
import { z } from 'zod';

export interface OptionField {
  key: string;
  label: string;
  kind: 'number' | 'boolean' | 'choice' | 'ops';
  integer: boolean;
  default: unknown;
  min?: number;
  max?: number;
  /** Allowed values of a 'choice' field (e.g. order 1 | 2). */
  choices?: (number | string)[];
  step: number;
  help: string;
}

interface JsonProp {
  type?: string;
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  enum?: (number | string)[];
  anyOf?: { const?: number | string }[];
  items?: unknown;
}

/** Short labels for the options the papers name; anything else is its key in words. */
const LABELS: Record<string, string> = {
  channels: 'Channels (C)',
  nodes: 'Nodes per cell',
  allowNone: "Allow 'none'",
  ops: 'Candidate ops',
  order: 'α gradient order',
  epochs: 'Epochs',
  wLr: 'Weight LR',
  wLrMin: 'Weight LR min',
  momentum: 'Momentum',
  wWeightDecay: 'Weight decay',
  gradClip: 'Gradient clip',
  alphaLr: 'α LR',
  alphaWeightDecay: 'α weight decay',
  alphaBeta1: 'α Adam β1',
  alphaBeta2: 'α Adam β2',
  lambdaMax: 'Track λ_max',
  hessianIters: 'Hessian iterations',
  warmup: 'Warm-up epochs',
  decisionFreq: 'Decision frequency',
  criterion: 'Criterion',
  historySize: 'History size',
  batchIncrease: 'Batch increase',
  finalEpochs: 'Final epochs',
  esStart: 'Stop-test delay',
  esWindow: 'λ window (w)',
  esDelta: 'λ delta (δ)',
  esFactor: 'λ growth factor',
  // InstaNAS and its MobileNetV2 meta-graph (ALGORITHMS §6), by the paper's names.
  widthMult: 'Width multiplier',
  pretrainEpochs: 'Pretraining epochs',
  netLr: 'Meta-graph LR',
  lrStep: 'LR decay every (epochs)',
  controllerLr: 'Controller LR',
  posReward: 'Reward if correct (pos_w)',
  negReward: 'Reward if wrong (neg_w)',
  latencyExponent: 'Latency reward exponent',
  bound: 'Exploration bound (a)',
  entropyWeight: 'Entropy bonus (β)',
  variants: 'Variants kept (A–E)',
  measureSamples: 'Images timed',
};

export function fieldLabel(key: string): string {
  if (LABELS[key]) return LABELS[key];
  const words = key.replace(/([A-Z])/g, ' $1').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** An input step that fits the default's magnitude (0.025 → 0.001, 3e-4 → 0.0001, 1.3 → 0.1). */
function stepFor(integer: boolean, def: unknown): number {
  if (integer) return 1;
  const v = typeof def === 'number' && def !== 0 ? Math.abs(def) : 0.1;
  return 10 ** (Math.floor(Math.log10(v)) - 1);
}

/** The fields of an object schema except its discriminator `name`, in declaration order. */
export function optionFields(schema: z.ZodType): OptionField[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, JsonProp> };
  const out: OptionField[] = [];
  for (const [key, p] of Object.entries(json.properties ?? {})) {
    if (key === 'name') continue;
    const choices = p.enum ?? (p.anyOf?.every((a) => a.const !== undefined) ? p.anyOf.map((a) => a.const as number | string) : undefined);
    const kind: OptionField['kind'] = choices ? 'choice' : p.type === 'boolean' ? 'boolean' : p.type === 'array' ? 'ops' : 'number';
    const integer = p.type === 'integer';
    out.push({
      key,
      label: fieldLabel(key),
      kind,
      integer,
      default: p.default,
      min: p.minimum ?? p.exclusiveMinimum,
      max: p.maximum ?? p.exclusiveMaximum,
      choices,
      step: stepFor(integer, p.default),
      help: p.description ?? '',
    });
  }
  return out;
}

/** The schema's defaults for an options object (`{ name, …defaults }`). */
export function schemaDefaults(schema: z.ZodType, name: string): Record<string, unknown> {
  const r = schema.safeParse({ name });
  if (!r.success) throw new Error(`The ${name} options schema has no valid defaults: ${r.error.message}`);
  return r.data as Record<string, unknown>;
}
