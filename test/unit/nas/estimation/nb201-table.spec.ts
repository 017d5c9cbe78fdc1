import fc from 'fast-check';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Nb201Table, defaultNb201TablePath, toNb201Score } from '../../../../src/main/nas/estimation/nb201-table';
import { DatasetFileError } from '../../../../src/main/nas/data/errors';
import { Nb201ScoreSchema } from '../../../../src/shared/events';
import { NB201_OPS, formatNb201Arch, parseNb201Arch, type Nb201Op } from '../../../../src/shared/spaces/nb201';
import { canonicalNb201Key } from '../../../../src/shared/nb201-canonical';

const ROOT = resolve(__dirname, '../../../..');
const BEST_C10 = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|';
const ALL_SKIP = '|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|';

let table: Nb201Table;
let csv: string;
beforeAll(() => {
  table = Nb201Table.loadDefault();
  csv = readFileSync(defaultNb201TablePath(), 'utf8');
});

describe('the shipped NAS-Bench-201 table', () => {
  it('is found at resources/nb201.csv from the source tree and from the working directory', () => {
    expect(defaultNb201TablePath()).toBe(join(ROOT, 'resources', 'nb201.csv'));
  });

  // The project's reference copy lives in shared/ beside the repository (developer machines and CI).
  const reference = join(ROOT, '..', 'shared', 'data', 'nb201.csv');
  it.runIf(existsSync(reference))('is byte-identical to the reference table in shared/data', () => {
    expect(csv).toBe(readFileSync(reference, 'utf8'));
  });

  it('has exactly 15,625 distinct keys covering the whole space', () => {
    expect(table.size).toBe(15625);
    const keys = new Set(table.entries().map((e) => e.arch));
    expect(keys.size).toBe(15625);
    expect(table.entries().map((e) => e.index)).toEqual(Array.from({ length: 15625 }, (_, i) => i));
  });

  it('best CIFAR-10 is 94.3733 at index 6111 (tied with 13714), rank 1, percentile 100, gap 0', () => {
    const best = table.best('cifar10');
    expect(best.index).toBe(6111);
    expect(best.arch).toBe(BEST_C10);
    expect(best.cifar10).toBe(94.3733);
    expect(best.rank).toBe(1);
    expect(best.percentile).toBe(100);
    expect(best.gapToOptimum).toBe(0);
    expect(table.lookup(table.get(13714).arch).rank).toBe(1);
    // The stored maximum: nothing in the table beats it.
    expect(Math.max(...table.entries().map((e) => e.cifar10))).toBe(94.3733);
  });

  it('best CIFAR-100 and ImageNet16-120 match the reference values', () => {
    const c100 = table.best('cifar100');
    expect(c100.index).toBe(9930);
    expect(c100.cifar100).toBe(73.5133);
    expect(c100.arch).toBe('|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|');
    expect(c100.byMetric.cifar100.rank).toBe(1);
    expect(table.best('imagenet16').imagenet16).toBeCloseTo(47.31, 2);
  });

  it('the all-skip cell (DARTS collapse) is index 1835, 54.2967 / 15.6067 / 16.3222, far below the optimum', () => {
    const s = table.lookup(ALL_SKIP);
    expect(s.index).toBe(1835);
    expect([s.cifar10, s.cifar100, s.imagenet16]).toEqual([54.2967, 15.6067, 16.3222]);
    expect(s.gapToOptimum).toBeCloseTo(94.3733 - 54.2967, 6);
    expect(s.gapToOptimum).toBeGreaterThan(30);
    expect(s.rank).toBeGreaterThan(15000);
    expect(s.percentile).toBeLessThan(5);
  });

  it('rank and percentile agree with a brute-force count', () => {
    for (const index of [0, 1, 777, 1835, 6111, 15624]) {
      const e = table.get(index);
      const better = table.entries().filter((x) => x.cifar10 > e.cifar10).length;
      const s = table.lookup(e.arch);
      expect(s.rank).toBe(better + 1);
      expect(s.percentile).toBeCloseTo((100 * (15625 - better)) / 15625, 9);
    }
  });

  it('round-trips parse/format for every row, and scoring is independent of the spelling', () => {
    for (const e of table.entries()) {
      const ops = parseNb201Arch(e.arch);
      if (formatNb201Arch(ops) !== e.arch) throw new Error(`row ${e.index} does not round-trip`);
    }
    const line = csv.split('\n')[1 + 42].split(',');
    expect(table.get(Number(line[0])).arch).toBe(line[1]);
    const viaString = table.lookup(`  ${line[1]}  `);
    const viaOps = table.lookup(parseNb201Arch(line[1]));
    expect(viaOps).toEqual(viaString);
    expect(viaString.cifar10).toBe(Number(line[2]));
    expect(viaString.params).toBe(Number(line[5]));
    expect(viaString.flops).toBe(Number(line[6]));
  });

  it('a lookup satisfies the event contract schema', () => {
    const s = toNb201Score(table.lookup(BEST_C10));
    expect(Nb201ScoreSchema.parse(s)).toEqual(s);
    expect(s).toMatchObject({ arch: BEST_C10, index: 6111, cifar10: 94.3733, cifar100: 73.22, imagenet16: 46.7111, rank: 1, percentile: 100, gapToOptimum: 0 });
    // The best CIFAR-10 cell has every edge live and no two branches alike: no other spelling.
    expect(s.canonical).toBe(BEST_C10);
    expect(s.isomorphs).toBe(1);
    expect(s.byMetric?.cifar10).toEqual({ rank: 1, percentile: 100, gapToOptimum: 0, best: 94.3733 });
    expect(s.byMetric?.cifar100.best).toBe(73.5133);
    expect(s.byMetric?.cifar100.gapToOptimum).toBeCloseTo(73.5133 - 73.22, 9);
    // The shipped table has test accuracies only.
    expect(s.valid).toBeUndefined();
    expect(Object.keys(s).sort()).toEqual(Object.keys(Nb201ScoreSchema.shape).filter((k) => k !== 'valid').sort());
    expect(Nb201ScoreSchema.safeParse(table.lookup(ALL_SKIP)).success).toBe(true);
  });

  it('rank, percentile and gap on CIFAR-100 and ImageNet16-120 agree with a brute-force count', () => {
    for (const index of [3, 1835, 9930, 15000]) {
      const e = table.get(index);
      const s = table.lookup(e.arch);
      for (const m of ['cifar100', 'imagenet16'] as const) {
        const better = table.entries().filter((x) => x[m] > e[m]).length;
        const best = Math.max(...table.entries().map((x) => x[m]));
        expect(s.byMetric[m].rank).toBe(better + 1);
        expect(s.byMetric[m].percentile).toBeCloseTo((100 * (15625 - better)) / 15625, 9);
        expect(s.byMetric[m].gapToOptimum).toBeCloseTo(best - e[m], 9);
      }
    }
    expect(table.best('imagenet16').byMetric.imagenet16).toMatchObject({ rank: 1, percentile: 100, gapToOptimum: 0 });
  });

  it('scoring is independent of the path used to find the arch (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...NB201_OPS), { minLength: 6, maxLength: 6 }), (ops: Nb201Op[]) => {
        const viaOps = table.lookup(ops);
        expect(table.lookup(`\t${formatNb201Arch(ops)} `)).toEqual(viaOps);
        expect(table.lookup(table.get(viaOps.index).arch)).toEqual(viaOps);
        // The cell's canonical spelling is in the table and denotes the same computation.
        const rep = table.lookup(viaOps.canonical);
        expect(rep.canonical).toBe(viaOps.canonical);
        expect(rep.isomorphs).toBe(viaOps.isomorphs);
        expect(canonicalNb201Key(rep.arch)).toBe(canonicalNb201Key(ops));
      }),
      { numRuns: 300 },
    );
  });

  it('isomorph counts are the sizes of the canonical classes of the table, and sum to the space', () => {
    const classSize = new Map<string, number>();
    const firstOf = new Map<string, string>();
    for (const e of table.entries()) {
      const c = table.lookup(e.arch).canonical;
      classSize.set(c, (classSize.get(c) ?? 0) + 1);
      if (!firstOf.has(c)) firstOf.set(c, e.arch);
    }
    let total = 0;
    for (const [c, n] of classSize) {
      expect(table.lookup(firstOf.get(c)!).isomorphs).toBe(n);
      total += n;
    }
    expect(total).toBe(15625);
    expect(table.distinctArchitectures(table.entries().map((e) => e.arch))).toBe(classSize.size);
    expect(table.distinctArchitectures([ALL_SKIP, parseNb201Arch(ALL_SKIP), BEST_C10])).toBe(2);
    // Two spellings of one computation: conv3(x) + conv1(x) through nodes 1 or 2.
    const a = '|nor_conv_3x3~0|+|nor_conv_1x1~0|none~1|+|none~0|skip_connect~1|skip_connect~2|';
    const b = '|nor_conv_1x1~0|+|nor_conv_3x3~0|none~1|+|none~0|skip_connect~1|skip_connect~2|';
    expect(table.lookup(a).canonical).toBe(table.lookup(b).canonical);
    expect(table.lookup(a).isomorphs).toBeGreaterThanOrEqual(2);
    expect(table.distinctArchitectures([a, b])).toBe(1);
  });

  it('the shipped table has no validation columns: a dry run decides on test accuracy and says so', () => {
    expect(table.hasValidation).toBe(false);
    expect(table.validationColumns).toEqual([]);
    const signal = table.signalMetric();
    expect(signal.column).toBe('cifar10_test');
    expect(signal.note).toMatch(/only test accuracies.*test accuracy, which a real search never sees/);
    expect(table.signalOf(table.get(1835))).toBe(54.2967);
  });

  it('an unknown arch gives a clear error', () => {
    expect(() => table.lookup('|sep_conv_3x3~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|')).toThrow(
      /Cannot score .* with NAS-Bench-201: .*unknown op 'sep_conv_3x3'.*none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3/,
    );
    expect(() => table.lookup('|skip_connect~0|+|skip_connect~0|')).toThrow(/Cannot score .*expected 3 nodes/);
    expect(() => table.lookup(['skip_connect', 'none'])).toThrow(/6 edges; got 2 ops/);
    expect(table.has(ALL_SKIP)).toBe(true);
    expect(table.has('nonsense')).toBe(false);
  });
});

describe("a user's own table", () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nb201-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const lines = () => csv.trimEnd().split('\n');
  const write = (name: string, rows: string[]) => {
    const p = join(dir, name);
    writeFileSync(p, rows.join('\n') + '\n');
    return p;
  };
  function errorOf(fn: () => unknown): DatasetFileError {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(DatasetFileError);
      return e as DatasetFileError;
    }
    throw new Error('expected an error');
  }

  it('is accepted with the same columns in another order, CRLF endings, and extra valid columns', () => {
    const [, ...rows] = lines();
    const out = ['arch,index,cifar10_test,cifar100_test,imagenet16_test,params_mb,flops_m,cifar10_valid'];
    for (const r of rows) {
      const [index, arch, ...rest] = r.split(',');
      out.push([`"${arch}"`, index, ...rest, '90.5'].join(','));
    }
    const p = join(dir, 'mine.csv');
    writeFileSync(p, out.join('\r\n'));
    const t = Nb201Table.load(p);
    expect(t.size).toBe(15625);
    expect(t.lookup(ALL_SKIP).cifar10).toBe(54.2967);
    expect(t.lookup(ALL_SKIP).cifar10Valid).toBe(90.5);
    expect(t.best().index).toBe(6111);
    // With a validation column, the score carries it (null for the missing ones) and the signal uses it.
    const s = toNb201Score(t.lookup(ALL_SKIP));
    expect(s.valid).toEqual({ cifar10: 90.5, cifar100: null, imagenet16: null });
    expect(Nb201ScoreSchema.parse(s)).toEqual(s);
    expect(t.hasValidation).toBe(true);
    expect(t.signalMetric()).toEqual({ column: 'cifar10_valid', note: null });
    expect(t.signalOf(t.get(1835))).toBe(90.5);
  });

  it('select() makes a user table current, parses an unchanged file once, and null goes back to the built-in one', () => {
    const [header, ...rows] = lines();
    const out = [header + ',cifar10_valid', ...rows.map((r, i) => `${r},${(80 + (i % 1000) / 100).toFixed(2)}`)];
    const p = write('selected.csv', out);
    try {
      expect(Nb201Table.current()).toBe(Nb201Table.loadDefault());
      Nb201Table.select(p);
      const mine = Nb201Table.current();
      expect(mine.source).toBe(p);
      expect(mine.hasValidation).toBe(true);
      Nb201Table.select(p);
      expect(Nb201Table.current()).toBe(mine);
      // A bad file is refused and the selection stays as it was.
      const bad = write('selected-bad.csv', out.slice(0, 100));
      expect(() => Nb201Table.select(bad)).toThrow(/selected-bad\.csv: holds 99 rows/);
      expect(Nb201Table.current()).toBe(mine);
      // The file replaced at the same path (a re-import) is read again.
      writeFileSync(p, [header, ...rows].join('\n') + '\n');
      Nb201Table.select(p);
      expect(Nb201Table.current()).not.toBe(mine);
      expect(Nb201Table.current().hasValidation).toBe(false);
    } finally {
      Nb201Table.select(null);
    }
    expect(Nb201Table.current()).toBe(Nb201Table.loadDefault());
  });

  it('a malformed row is refused with its line number', () => {
    const rows = lines();
    const bad = rows[100].split(',');
    bad[2] = 'n/a';
    rows[100] = bad.join(',');
    const e = errorOf(() => Nb201Table.load(write('bad-number.csv', rows)));
    expect(e.message).toContain('bad-number.csv');
    expect(e.message).toContain("line 101: cifar10_test 'n/a' is not a number");
  });

  it('a bad arch, a duplicate, a short row and a wrong header are each named', () => {
    let rows = lines();
    rows[5] = rows[5].replace('~0|+', '~1|+');
    expect(errorOf(() => Nb201Table.load(write('bad-arch.csv', rows))).message).toMatch(/bad-arch\.csv: line 6: Invalid NAS-Bench-201 arch string/);

    rows = lines();
    rows[9] = `99999,${rows[3].split(',').slice(1).join(',')}`;
    expect(errorOf(() => Nb201Table.load(write('bad-index.csv', rows))).message).toMatch(/line 10: index '99999' is not an integer in 0\.\.15624/);

    rows = lines();
    rows[9] = `8,${rows[3].split(',').slice(1).join(',')}`;
    expect(errorOf(() => Nb201Table.load(write('dup.csv', rows))).message).toMatch(/line 10: arch .* already appears on line 4/);

    rows = lines();
    rows[7000] = rows[7000].split(',').slice(0, 5).join(',');
    expect(errorOf(() => Nb201Table.load(write('short.csv', rows))).message).toContain('line 7001: expected 7 fields like the header, found 5');

    rows = lines();
    rows[0] = 'index,arch,c10,cifar100_test,imagenet16_test,params_mb,flops_m';
    expect(errorOf(() => Nb201Table.load(write('header.csv', rows))).message).toMatch(/header\.csv: line 1: the header lacks the column cifar10_test/);
  });

  it('a table with missing rows is refused with the count', () => {
    const rows = lines().slice(0, 1001);
    const e = errorOf(() => Nb201Table.load(write('partial.csv', rows)));
    expect(e.message).toMatch(/partial\.csv: holds 1,000 rows but the NAS-Bench-201 space has 15,625 cells.*incomplete/);
    expect(errorOf(() => Nb201Table.parse('', 'empty.csv')).message).toMatch(/empty\.csv: the file is empty/);
    expect(errorOf(() => Nb201Table.load(join(dir, 'missing.csv'))).message).toMatch(/missing\.csv: file not found/);
  });

  it('every op appears in the table on every edge (the space is complete)', () => {
    for (let edge = 0; edge < 6; edge++) {
      const ops = new Set(table.entries().map((e) => e.ops[edge]));
      expect([...ops].sort()).toEqual([...NB201_OPS].sort());
    }
  });
});
