import { DARTS_OPS, type DartsGenotype, type GenotypeEntry } from '../spaces/darts';
import { parseNb201Arch, type Nb201Genotype } from '../spaces/nb201';
import { isSpdGenotypeObject, parseSpdGenotype } from './retrain-spd';

// The architecture a retrain trains, as the user pastes it: a NAS-Bench-201 arch string, a DARTS genotype as
// JSON (the app's own {normal, normalConcat, reduce, reduceConcat}), or the Python repr the DARTS papers'
// genotypes.py files print (Genotype(normal=[('sep_conv_3x3', 0), …], normal_concat=range(2, 6), …)).

export type ParsedArchitecture =
  | { space: 'nb201'; ops: Nb201Genotype }
  | { space: 'darts'; genotype: DartsGenotype; nodes: number }
  | { space: 'spd'; genotype: DartsGenotype };

const SPACE_LABELS: Record<string, string> = { nb201: 'NAS-Bench-201', darts: 'DARTS', spd: 'SPD' };

const DARTS_RETRAIN_OPS = DARTS_OPS.filter((op) => op !== 'none');

export function parseArchitecture(text: string): ParsedArchitecture {
  const t = text.trim();
  if (t === '') throw new Error('No architecture given: paste the NAS-Bench-201 arch string or the DARTS genotype to train.');
  if (t.startsWith('|')) return { space: 'nb201', ops: parseNb201Arch(t) };
  if (t.startsWith('{')) {
    let raw: unknown;
    try {
      raw = JSON.parse(t);
    } catch (e) {
      throw new Error(`The DARTS genotype is not valid JSON (${(e as Error).message}).`);
    }
    // An SPDNetNAS cell is DARTS-shaped; its op names tell it apart.
    if (isSpdGenotypeObject(raw)) return { space: 'spd', genotype: parseSpdGenotype(raw) };
    return dartsFromObject(raw);
  }
  if (/^Genotype\s*\(/.test(t)) return dartsFromObject(fromPythonRepr(t));
  throw new Error(
    "Not an architecture: expected a NAS-Bench-201 arch string starting with '|' (e.g. |nor_conv_3x3~0|+|…|), a DARTS genotype as JSON {\"normal\": [[op, input], …], \"reduce\": […]}, or a Genotype(normal=[…], …) line from genotypes.py.",
  );
}

/** Why `text` cannot be trained in `space` (e.g. a DARTS genotype in the NAS-Bench-201 space), or null. */
export function architectureProblem(space: { name: string; nodes?: number }, text: string): string | null {
  let parsed: ParsedArchitecture;
  try {
    parsed = parseArchitecture(text);
  } catch (e) {
    return (e as Error).message;
  }
  if (parsed.space !== space.name) {
    const label = (s: string) => SPACE_LABELS[s] ?? s;
    const what = parsed.space === 'nb201' ? 'a NAS-Bench-201 arch string' : `a${parsed.space === 'spd' ? 'n SPD' : ' DARTS'} genotype`;
    return `The architecture is ${what}, but the run's space is ${label(space.name)}: choose the ${label(parsed.space)} space.`;
  }
  if (parsed.space === 'darts' && space.nodes !== undefined && parsed.nodes !== space.nodes) {
    return `The DARTS genotype has ${parsed.nodes} intermediate nodes per cell, the space ${space.nodes}: set the space's nodes to ${parsed.nodes}.`;
  }
  return null;
}

function dartsFromObject(raw: unknown): ParsedArchitecture {
  if (!raw || typeof raw !== 'object') throw new Error('A DARTS genotype is an object with "normal" and "reduce" cells.');
  const o = raw as Record<string, unknown>;
  const normal = dartsCell('normal', o.normal);
  const reduce = dartsCell('reduce', o.reduce);
  if (normal.length !== reduce.length) {
    throw new Error(`The normal cell has ${normal.length / 2} nodes and the reduction cell ${reduce.length / 2}: both need the same number.`);
  }
  const nodes = normal.length / 2;
  const all = Array.from({ length: nodes }, (_, i) => i + 2);
  const normalConcat = dartsConcat('normalConcat', o.normalConcat ?? o.normal_concat, all);
  const reduceConcat = dartsConcat('reduceConcat', o.reduceConcat ?? o.reduce_concat, all);
  return { space: 'darts', genotype: { normal, normalConcat, reduce, reduceConcat }, nodes };
}

function dartsCell(cell: string, raw: unknown): GenotypeEntry[] {
  if (!Array.isArray(raw) || raw.length === 0 || raw.length % 2 !== 0) {
    throw new Error(`The DARTS genotype's "${cell}" cell must list two [op, input] pairs per node; got ${Array.isArray(raw) ? `${raw.length} entries` : 'none'}.`);
  }
  return raw.map((entry, i) => {
    const node = Math.floor(i / 2);
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string' || !Number.isInteger(entry[1])) {
      throw new Error(`Entry ${i} of the "${cell}" cell must be [op, input]; got ${JSON.stringify(entry)}.`);
    }
    const [op, input] = entry as [string, number];
    if (!(DARTS_RETRAIN_OPS as readonly string[]).includes(op)) {
      throw new Error(`Entry ${i} of the "${cell}" cell has op '${op}'; a trained DARTS cell uses ${DARTS_RETRAIN_OPS.join(', ')}.`);
    }
    if (input < 0 || input >= node + 2) {
      throw new Error(`Entry ${i} of the "${cell}" cell feeds node ${node} from state ${input}; node ${node} can read states 0..${node + 1}.`);
    }
    return [op, input] as GenotypeEntry;
  });
}

function dartsConcat(key: string, raw: unknown, all: number[]): number[] {
  if (raw === undefined) return all;
  if (!Array.isArray(raw) || raw.length === 0 || !raw.every((s) => Number.isInteger(s) && s >= 2 && s <= all[all.length - 1])) {
    throw new Error(`"${key}" must list intermediate states ${all[0]}..${all[all.length - 1]}; got ${JSON.stringify(raw)}.`);
  }
  return raw as number[];
}

/** Genotype(normal=[('op', 0), …], normal_concat=[2, 3] or range(2, 6), reduce=…, reduce_concat=…). */
function fromPythonRepr(t: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const cell of ['normal', 'reduce']) {
    const list = new RegExp(`\\b${cell}\\s*=\\s*\\[([^\\]]*)\\]`).exec(t);
    if (!list) throw new Error(`The Genotype(…) line has no ${cell}=[…] list.`);
    out[cell] = [...list[1].matchAll(/\(\s*['"](\w+)['"]\s*,\s*(\d+)\s*\)/g)].map((m) => [m[1], Number(m[2])]);
    const concat = new RegExp(`\\b${cell}_concat\\s*=\\s*(?:\\[([^\\]]*)\\]|range\\(\\s*(\\d+)\\s*,\\s*(\\d+)\\s*\\))`).exec(t);
    if (concat?.[1] !== undefined) out[`${cell}Concat`] = concat[1].split(',').filter((s) => s.trim()).map(Number);
    else if (concat) out[`${cell}Concat`] = Array.from({ length: Number(concat[3]) - Number(concat[2]) }, (_, i) => Number(concat[2]) + i);
  }
  return out;
}
