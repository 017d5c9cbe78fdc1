// The three properties every SPD matrix of a dataset must have, checked in float64 before a set is accepted:
// finite values, symmetry, positive definiteness. Positive definiteness is decided by a Cholesky factorisation
// (it succeeds exactly when every eigenvalue is > 0, at a third of an eigen-solve's cost); the error then names
// the smallest eigenvalue, which is what a person can act on.
import { symEig } from '../engine/spd/jacobi';
import { DatasetFileError } from './errors';

/** |X_ij − X_ji| allowed, relative to the largest |X_kl|: float32 rounding of a symmetric matrix is ~1e-7. */
export const SYMMETRY_TOLERANCE = 1e-5;

/**
 * Positive definite means a Cholesky pivot above this share of the largest diagonal entry: a matrix whose
 * smallest eigenvalue is ~1e-12 of its largest is singular in float32, which is what the network computes in.
 */
export const PIVOT_TOLERANCE = 1e-10;

/** Where a matrix came from, for errors: the file, and its index inside a stacked .npy file. */
export interface MatrixSource {
  file: string;
  index?: number;
}

function where(src: MatrixSource): string {
  return src.index === undefined ? 'the matrix' : `matrix ${src.index} (counting from 0)`;
}

/** Throws a DatasetFileError naming the file and the failing property; `m` is row-major n × n float64. */
export function checkSpdMatrix(m: Float64Array, n: number, src: MatrixSource): void {
  let scale = 0;
  for (let i = 0; i < n * n; i++) {
    if (!Number.isFinite(m[i])) {
      throw new DatasetFileError(src.file, `${where(src)} holds a non-finite value (NaN or infinity) at row ${Math.floor(i / n) + 1}, column ${(i % n) + 1}`, 'Recompute the matrix; SPD matrices have finite entries.');
    }
    scale = Math.max(scale, Math.abs(m[i]));
  }
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const gap = Math.abs(m[i * n + j] - m[j * n + i]);
      if (gap > SYMMETRY_TOLERANCE * scale) {
        throw new DatasetFileError(
          src.file,
          `${where(src)} is not symmetric: entry (${i + 1}, ${j + 1}) is ${m[i * n + j].toPrecision(6)} but (${j + 1}, ${i + 1}) is ${m[j * n + i].toPrecision(6)}`,
          'SPD matrices equal their transpose; symmetrise with (X + Xᵀ)/2 if the difference is rounding.',
        );
      }
    }
  }
  if (!choleskySucceeds(m, n)) {
    const min = smallestEigenvalue(m, n);
    throw new DatasetFileError(
      src.file,
      `${where(src)} is not positive definite: its smallest eigenvalue is ${min.toPrecision(4)}${min < 0 ? ' (negative)' : ''}`,
      'Covariance matrices need more samples than features, or a ridge ε·tr(Σ)·I added to the diagonal.',
    );
  }
}

/** Cholesky of the symmetrised matrix; false when a pivot is not clearly positive. */
export function choleskySucceeds(m: Float64Array, n: number): boolean {
  const l = new Float64Array(n * n);
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, m[i * n + i]);
  if (!(maxDiag > 0)) return false;
  for (let j = 0; j < n; j++) {
    let d = m[j * n + j];
    for (let k = 0; k < j; k++) d -= l[j * n + k] * l[j * n + k];
    if (!(d > PIVOT_TOLERANCE * maxDiag)) return false;
    const djj = Math.sqrt(d);
    l[j * n + j] = djj;
    for (let i = j + 1; i < n; i++) {
      let s = (m[i * n + j] + m[j * n + i]) / 2;
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = s / djj;
    }
  }
  return true;
}

/** The smallest eigenvalue (Jacobi, float64): for the message about a matrix already refused. */
function smallestEigenvalue(m: Float64Array, n: number): number {
  return symEig(m, n, 1).values[0];
}
