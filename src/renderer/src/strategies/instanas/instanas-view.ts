import type { InstanasResult, MobilenetBlock, PolicySnapshot } from '../../../../shared/instanas';
import type { Point } from '../../stores/run';

// What the InstaNAS panels draw, computed from the run's metric series, its 'policy' snapshots and its stored
// result (shared/instanas.ts). Pure: the panels only lay these out.

export type XY = [number, number];

/** One point per epoch, at x = epoch + 1 (epochs are counted from 1 on screen, as in the common curves). */
export function byEpoch(points: readonly Point[] | undefined): XY[] {
  const last = new Map<number, number>();
  for (const [, epoch, value] of points ?? []) last.set(epoch, value);
  return [...last.entries()].sort((a, b) => a[0] - b[0]).map(([e, v]) => [e + 1, v]);
}

export interface Phases {
  /** Screen epochs [first, last] of phase 1 (pretraining, where keep_prob is recorded); null before any. */
  pretrain: [number, number] | null;
  /** Screen epochs [first, last] of phase 2 (the controller search, where the reward is recorded). */
  search: [number, number] | null;
}

export function phases(keepProb: readonly XY[], reward: readonly XY[]): Phases {
  const span = (xs: readonly XY[]): [number, number] | null => (xs.length ? [xs[0]![0], xs[xs.length - 1]![0]] : null);
  return { pretrain: span(keepProb), search: span(reward) };
}

/** The latency window [lb, ub] at each epoch it was recorded, as band data: lower edge, and height above it. */
export function windowBand(lb: readonly XY[], ub: readonly XY[]): { low: XY[]; height: XY[]; high: XY[] } {
  const upper = new Map(ub.map(([x, v]) => [x, v]));
  const low: XY[] = [];
  const height: XY[] = [];
  const high: XY[] = [];
  for (const [x, l] of lb) {
    const u = upper.get(x);
    if (u === undefined) continue;
    low.push([x, l]);
    height.push([x, Math.max(0, u - l)]);
    high.push([x, u]);
  }
  return { low, height, high };
}

export function isPolicySnapshot(p: unknown): p is PolicySnapshot {
  const s = p as PolicySnapshot | null;
  return !!s && Array.isArray(s.ops) && Array.isArray(s.usage) && s.usage.every((r) => Array.isArray(r) && r.length === s.ops.length) && typeof s.meanLatency === 'number';
}

/** Row labels of a blocks × ops matrix: "3 · s1 ↓" for block 3 of stage 1, ↓ where the stage starts. */
export function blockLabels(count: number, blocks?: readonly MobilenetBlock[]): string[] {
  return Array.from({ length: count }, (_, t) => {
    const b = blocks?.[t];
    return b ? `${t} · s${b.stage}${b.stageFirst ? ' ↓' : ''}` : String(t);
  });
}

/** A policy bit string (blocks × ops, row-major) as rows of booleans. */
export function policyRows(policy: string, ops: number): boolean[][] {
  const rows: boolean[][] = [];
  for (let i = 0; i + ops <= policy.length; i += ops) rows.push([...policy.slice(i, i + ops)].map((b) => b === '1'));
  return rows;
}

/** Enabled ops of a path and the blocks it skips entirely (the stage-first fallback runs op 4 there instead). */
export function pathShape(policy: string, ops: number): { enabled: number; emptyBlocks: number } {
  const rows = policyRows(policy, ops);
  return { enabled: rows.flat().filter(Boolean).length, emptyBlocks: rows.filter((r) => !r.some(Boolean)).length };
}

/** 1 − a / b in percent: how much shorter latency a is than b (negative when longer). */
export function cutPercent(a: number | null, b: number | null): number | null {
  return a === null || b === null || !(b > 0) ? null : 100 * (1 - a / b);
}

export interface TradeoffPoint {
  label: string;
  latency: number;
  accuracy: number;
  /** The accuracy is the validation one (a variant without a test measurement). */
  validation: boolean;
  /** Where the point comes from, in words (the variant's checkpoint epoch, the baseline's budget). */
  note: string;
}

/** The accuracy–latency chart: variants A–E, the returned policy, and the baseline, each at its mean latency. */
export function tradeoff(r: InstanasResult): { variants: TradeoffPoint[]; final: TradeoffPoint; baseline: TradeoffPoint; allOps: number; min: number } {
  const variants = [...r.variants]
    .sort((a, b) => a.meanLatency - b.meanLatency)
    .map((v) => ({ label: v.label, latency: v.meanLatency, accuracy: v.testAccuracy ?? v.valAccuracy, validation: v.testAccuracy === null, note: `checkpoint after search epoch ${v.epoch + 1}` }));
  return {
    variants,
    final: { label: 'returned', latency: r.policy.meanLatency, accuracy: r.testAccuracy, validation: false, note: 'the controller at the end of the search' },
    baseline: { label: 'baseline (all op 0)', latency: r.baselineModel.latency, accuracy: r.baselineModel.testAccuracy, validation: false, note: `trained ${r.baselineModel.epochs} epochs under the same budget` },
    allOps: r.latency.allOps,
    min: r.latency.min,
  };
}

export interface KeyFigure {
  key: string;
  label: string;
  value: string;
  title?: string;
}

const ms = (v: number | null) => (v === null ? '—' : `${v.toFixed(v < 1 ? 3 : 2)} ms`);
const pct = (v: number) => `${(100 * v).toFixed(2)} %`;

export function keyFigures(r: InstanasResult): KeyFigure[] {
  const lookedUpCut = cutPercent(r.policy.meanLatency, r.baselineModel.latency);
  const measuredCut = cutPercent(r.policy.measuredMean, r.baselineModel.measuredLatency);
  const cut = (v: number | null) => (v === null ? '—' : `${v >= 0 ? '−' : '+'}${Math.abs(v).toFixed(1)} %`);
  return [
    { key: 'test-accuracy', label: 'test accuracy', value: pct(r.testAccuracy), title: 'Each test image classified by the sub-network its own policy picked' },
    { key: 'baseline-accuracy', label: 'baseline test accuracy', value: pct(r.baselineModel.testAccuracy), title: `MobileNetV2-like (op 0 in every block), trained ${r.baselineModel.epochs} epochs under the same budget` },
    { key: 'latency', label: 'latency (looked up)', value: `${ms(r.policy.meanLatency)} ± ${ms(r.policy.stdLatency)}`, title: 'Mean ± std over the test images of the latency table summed over each policy' },
    { key: 'measured', label: 'latency (measured)', value: r.policy.measuredMean === null ? 'not measured' : `${ms(r.policy.measuredMean)} ± ${ms(r.policy.measuredStd)}`, title: 'Each sub-network run at batch 1 on this machine' },
    { key: 'baseline-latency', label: 'baseline latency', value: `${ms(r.baselineModel.latency)}${r.baselineModel.measuredLatency === null ? '' : ` (measured ${ms(r.baselineModel.measuredLatency)})`}` },
    { key: 'cut', label: 'latency vs baseline', value: `${cut(lookedUpCut)}${measuredCut === null ? '' : ` (measured ${cut(measuredCut)})`}`, title: 'Negative: the instance-aware policies are faster than the baseline' },
    { key: 'distinct', label: 'distinct policies', value: String(r.policy.distinct), title: `${(100 * r.policy.density).toFixed(1)} % of the ops enabled on average` },
  ];
}
