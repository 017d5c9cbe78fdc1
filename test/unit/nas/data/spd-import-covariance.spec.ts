import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { symEig } from '../../../../src/main/nas/engine/spd/jacobi';
import { COVARIANCE_EPSILON, covarianceDescriptor } from '../../../../src/main/nas/data/spd-import-covariance';
import { checkSpdMatrix } from '../../../../src/main/nas/data/spd-import-checks';

// Covariance descriptors (ALGORITHMS §1.4): what a covariance must be, whatever the sequence.

const sequence = (d: number, T: number) => fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: d * T, maxLength: d * T }).map((a) => Float64Array.from(a));
const shapes = fc.record({ d: fc.integer({ min: 2, max: 6 }), T: fc.integer({ min: 2, max: 12 }) });
const trace = (m: Float64Array, d: number) => Array.from({ length: d }, (_, i) => m[i * d + i]).reduce((a, b) => a + b, 0);

describe('covarianceDescriptor', () => {
  it('a hand-worked case: F = [[1, 2, 3], [2, 4, 6]] has covariance [[1, 2], [2, 4]] (no ridge)', () => {
    expect(Array.from(covarianceDescriptor(Float64Array.from([1, 2, 3, 2, 4, 6]), 2, 3, 0))).toEqual([1, 2, 2, 4]);
  });

  it('is symmetric and positive definite, even with fewer time steps than features, with λ_min ≥ ε·tr(Σ)', () => {
    fc.assert(
      fc.property(shapes.chain(({ d, T }) => fc.tuple(fc.constant(d), fc.constant(T), sequence(d, T))), ([d, T, f]) => {
        const plain = covarianceDescriptor(f, d, T, 0);
        fc.pre(trace(plain, d) > 1e-6);
        const sigma = covarianceDescriptor(f, d, T);
        for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) expect(sigma[i * d + j]).toBe(sigma[j * d + i]);
        const lambdaMin = symEig(sigma, d, 1).values[0];
        // Σ₀ is positive semi-definite, so adding ε·tr(Σ₀)·I lifts every eigenvalue by exactly that much.
        expect(lambdaMin).toBeGreaterThanOrEqual(COVARIANCE_EPSILON * trace(plain, d) * (1 - 1e-6) - 1e-12 * trace(plain, d));
        expect(() => checkSpdMatrix(sigma, d, { file: 'f.csv' })).not.toThrow();
      }),
      { numRuns: 60 },
    );
  });

  it('ignores each feature\'s offset and the order of the time steps', () => {
    fc.assert(
      fc.property(shapes.chain(({ d, T }) => fc.tuple(fc.constant(d), fc.constant(T), sequence(d, T), fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: d, maxLength: d }))), ([d, T, f, offsets]) => {
        const base = covarianceDescriptor(f, d, T);
        const shifted = f.map((v, i) => v + offsets[Math.floor(i / T)]);
        const reversed = f.map((_, i) => f[Math.floor(i / T) * T + (T - 1 - (i % T))]);
        for (const other of [covarianceDescriptor(shifted, d, T), covarianceDescriptor(reversed, d, T)]) {
          other.forEach((v, i) => expect(v).toBeCloseTo(base[i], 6));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('scaling feature i by s scales row and column i by s (Σ(DF) = D·Σ(F)·D, without the ridge)', () => {
    fc.assert(
      fc.property(shapes.chain(({ d, T }) => fc.tuple(fc.constant(d), fc.constant(T), sequence(d, T), fc.array(fc.double({ min: 0.1, max: 5, noNaN: true }), { minLength: d, maxLength: d }))), ([d, T, f, s]) => {
        const base = covarianceDescriptor(f, d, T, 0);
        const scaled = covarianceDescriptor(f.map((v, i) => v * s[Math.floor(i / T)]), d, T, 0);
        scaled.forEach((v, k) => expect(v).toBeCloseTo(s[Math.floor(k / d)] * base[k] * s[k % d], 6));
      }),
      { numRuns: 60 },
    );
  });

  it('refuses a single time step (no covariance) and a length that is not d × T', () => {
    expect(() => covarianceDescriptor(Float64Array.from([1, 2]), 2, 1)).toThrow(/at least 2/);
    expect(() => covarianceDescriptor(Float64Array.from([1, 2, 3]), 2, 2)).toThrow(/3 values for 2 features × 2 steps/);
  });
});
