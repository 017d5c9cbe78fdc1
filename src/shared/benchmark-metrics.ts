// Metric series every run of the NAS-Bench-201 space may carry (ALGORITHMS.md §8), named once here for the
// trainer that writes them, the CLI that reports them and the charts that draw them.

/** Table accuracy (%) and rank of the cell a search would return at the end of each epoch. */
export const EPOCH_BENCHMARK_METRICS = {
  cifar10: 'bench_cifar10',
  cifar100: 'bench_cifar100',
  imagenet16: 'bench_imagenet16',
  rank: 'bench_rank',
} as const;

/**
 * A sampling search's trajectory, one point per evaluated architecture (step = evaluations so far):
 * the candidate's score by the search's own signal and the best so far, and for NAS-Bench-201 the CIFAR-10
 * test accuracy (%) of the best-so-far architecture (display only: never what the search decides on).
 */
export const TRAJECTORY_METRICS = {
  candidate: 'candidate_score',
  best: 'best_score',
  bestCifar10: 'best_cifar10',
} as const;
