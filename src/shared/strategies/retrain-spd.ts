import { SPD_NORMAL_OPS, SPD_REDUCED_OPS } from '../spaces/spd';
import type { DartsGenotype, GenotypeEntry } from '../spaces/darts';

// A derived SPDNetNAS cell as a retrain takes it: the DARTS-shaped genotype with SPD op names (2 intermediate
// nodes, 2 inputs each). A reduction cell's edges from its inputs (states 0, 1) use the reduced op list; every
// other edge the normal list. Shared by the app's retrain (a run's genotype) and `nas-studio retrain --space spd`.

const SPD_OPS = new Set<string>([...SPD_NORMAL_OPS, ...SPD_REDUCED_OPS]);

/** Whether a parsed genotype object names SPD ops (so it is an SPD cell, not a DARTS one). */
export function isSpdGenotypeObject(raw: unknown): boolean {
  const g = (raw ?? {}) as { normal?: unknown; reduce?: unknown };
  return [g.normal, g.reduce].some((cell) => Array.isArray(cell) && Array.isArray(cell[0]) && SPD_OPS.has(String(cell[0][0])));
}

/** Checks one cell's [op, input] pairs against the SPD op lists; the message names the entry and the fix. */
export function parseSpdCell(entries: unknown, type: 'normal' | 'reduce'): GenotypeEntry[] {
  // Empty: a network of one cell has no normal cell (the network builder says so if one is needed).
  if (!Array.isArray(entries) || (entries.length !== 4 && entries.length !== 0)) throw new Error(`The SPD ${type} cell must list 4 [op, input] pairs (2 per node); got ${JSON.stringify(entries)}.`);
  return entries.map((e, k) => {
    const [op, source] = Array.isArray(e) ? e : [];
    const maxInput = 1 + Math.floor(k / 2);
    if (typeof op !== 'string' || !Number.isInteger(source) || source < 0 || source > maxInput) {
      throw new Error(`${type} entry ${k} must be [op, input] with input 0..${maxInput}; got ${JSON.stringify(e)}.`);
    }
    const allowed: readonly string[] = type === 'reduce' && source < 2 ? SPD_REDUCED_OPS : SPD_NORMAL_OPS;
    if (!allowed.includes(op) || op.startsWith('none')) {
      throw new Error(`${type} entry ${k} (${op} from input ${source}) must be one of ${allowed.filter((o) => !o.startsWith('none')).join(', ')}.`);
    }
    return [op, source] as GenotypeEntry;
  });
}

/** An SPD genotype object ({ normal, reduce }, concat optional) checked in full. */
export function parseSpdGenotype(raw: unknown): DartsGenotype {
  const g = (raw ?? {}) as Record<string, unknown>;
  if (!Array.isArray(g.normal) || !Array.isArray(g.reduce) || g.normal.length + g.reduce.length === 0) {
    throw new Error('An SPD genotype lists its "normal" and "reduce" cells as [op, input] pairs; both are missing or empty.');
  }
  return { normal: parseSpdCell(g.normal, 'normal'), normalConcat: [2, 3], reduce: parseSpdCell(g.reduce, 'reduce'), reduceConcat: [2, 3] };
}
