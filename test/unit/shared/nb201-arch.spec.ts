import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  NB201_EDGES,
  NB201_OPS,
  NB201_SPACE_SIZE,
  formatNb201Arch,
  nb201OpsToCode,
  parseNb201Arch,
  type Nb201Op,
} from '../../../src/shared/spaces/nb201';

const opVector = fc.array(fc.constantFrom(...NB201_OPS), { minLength: 6, maxLength: 6 });

describe('NAS-Bench-201 arch string ↔ op vector (ALGORITHMS.md §9, NB201 property 1)', () => {
  it('parse ∘ format is the identity on op vectors', () => {
    fc.assert(
      fc.property(opVector, (ops) => {
        expect(parseNb201Arch(formatNb201Arch(ops))).toEqual(ops);
      }),
      { numRuns: 2000 },
    );
  });

  it('format ∘ parse is the identity on arch strings, and the string has the documented layout', () => {
    fc.assert(
      fc.property(opVector, (ops) => {
        const arch = formatNb201Arch(ops);
        expect(formatNb201Arch(parseNb201Arch(arch))).toBe(arch);
        // |op(0→1)~0|+|op(0→2)~0|op(1→2)~1|+|op(0→3)~0|op(1→3)~1|op(2→3)~2|
        const nodes = arch.split('+');
        expect(nodes).toHaveLength(3);
        let k = 0;
        nodes.forEach((node, i) => {
          const entries = node.slice(1, -1).split('|');
          expect(entries).toHaveLength(i + 1);
          entries.forEach((entry, from) => {
            expect(entry).toBe(`${ops[k]}~${from}`);
            expect(NB201_EDGES[k]).toEqual([from, i + 1]);
            k++;
          });
        });
      }),
      { numRuns: 1000 },
    );
  });

  it('distinct op vectors give distinct strings (injective), and codes cover 0..15624', () => {
    fc.assert(
      fc.property(opVector, opVector, (a, b) => {
        const same = a.every((op, i) => op === b[i]);
        expect(formatNb201Arch(a) === formatNb201Arch(b)).toBe(same);
        expect(nb201OpsToCode(a) === nb201OpsToCode(b)).toBe(same);
      }),
      { numRuns: 2000 },
    );
    const codes = new Set<number>();
    const ops: Nb201Op[] = new Array(6).fill('none');
    const walk = (edge: number): void => {
      if (edge === 6) {
        const arch = formatNb201Arch(ops);
        codes.add(nb201OpsToCode(parseNb201Arch(arch)));
        return;
      }
      for (const op of NB201_OPS) {
        ops[edge] = op;
        walk(edge + 1);
      }
    };
    walk(0);
    expect(codes.size).toBe(NB201_SPACE_SIZE);
    expect(Math.min(...codes)).toBe(0);
    expect(Math.max(...codes)).toBe(NB201_SPACE_SIZE - 1);
  });

  it('rejects corrupted strings', () => {
    fc.assert(
      fc.property(opVector, fc.integer({ min: 0, max: 5 }), (ops, edge) => {
        const arch = formatNb201Arch(ops);
        // Point one entry at the wrong source node.
        const entries = arch.match(/~\d/g)!;
        let seen = -1;
        const broken = arch.replace(/~(\d)/g, (m, d) => (++seen === edge ? `~${Number(d) + 1}` : m));
        expect(entries).toHaveLength(6);
        expect(() => parseNb201Arch(broken)).toThrow(/should read from node/);
      }),
      { numRuns: 300 },
    );
    expect(() => formatNb201Arch(['none', 'none', 'none', 'none', 'none', 'conv_5x5'])).toThrow(/Unknown NAS-Bench-201 op 'conv_5x5'/);
  });
});
