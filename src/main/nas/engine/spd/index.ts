// SPD-manifold numerics for SPDNetNAS (ALGORITHMS.md §7): float64 eigendecomposition with gradients, the
// affine-invariant maps and Karcher mean, sparsemax, and the Riemannian steps of the manifold weights.
export { symEig, type SymEig } from './jacobi';
export {
  EIGEN_GAP,
  REEIG_EPS,
  SPD_REGULARISATION,
  eigenvalues,
  expEig,
  invSqrtEig,
  logEig,
  powerFunction,
  reEig,
  reEigFunction,
  spdExp,
  spdInvSqrt,
  spdLog,
  spdSqrt,
  spectral,
  spectralBackward64,
  spectralForward64,
  sqrtEig,
  type SpectralFunction,
} from './spectral';
export { expMap, geodesic, identityLike, karcherMean, karcherResidual, logMap, sandwich, sqrtPair, sym, transposeLast } from './manifold';
export { sparsemax, sparsemax64, sparsemaxJacobian, sparsemaxRows } from './sparsemax';
export { qrQ, spdBiasStep, spdBiasStep64, stiefelDefect, stiefelStep, stiefelStep64 } from './riemannian';
