// Covariance descriptors (ALGORITHMS §1.4): a feature sequence F (d features × T time steps) becomes the SPD
// matrix Σ = (F − mean)(F − mean)ᵀ/(T − 1) + ε·tr(Σ)·I. The ridge makes Σ positive definite even when T ≤ d or
// features are collinear, at a size relative to the data's own scale (ε ≈ 1e-5, as the reference code uses).

/** The reference code's regularisation before every eigen-solve. */
export const COVARIANCE_EPSILON = 1e-5;

/**
 * The d × d covariance descriptor of a row-major d × T sequence, in float64, regularised with ε·tr(Σ)·I.
 * Needs T ≥ 2 (one time step has no covariance).
 */
export function covarianceDescriptor(sequence: Float64Array, d: number, T: number, epsilon = COVARIANCE_EPSILON): Float64Array {
  if (sequence.length !== d * T) throw new Error(`covarianceDescriptor: ${sequence.length} values for ${d} features × ${T} steps.`);
  if (T < 2) throw new Error(`covarianceDescriptor: ${T} time step; a covariance needs at least 2.`);
  const centred = new Float64Array(d * T);
  for (let i = 0; i < d; i++) {
    let mean = 0;
    for (let t = 0; t < T; t++) mean += sequence[i * T + t];
    mean /= T;
    for (let t = 0; t < T; t++) centred[i * T + t] = sequence[i * T + t] - mean;
  }
  const sigma = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      let s = 0;
      for (let t = 0; t < T; t++) s += centred[i * T + t] * centred[j * T + t];
      sigma[i * d + j] = sigma[j * d + i] = s / (T - 1);
    }
  }
  let trace = 0;
  for (let i = 0; i < d; i++) trace += sigma[i * d + i];
  for (let i = 0; i < d; i++) sigma[i * d + i] += epsilon * trace;
  return sigma;
}
