// "Launch the same configuration with k seeds" (issue 9): the seeds are the form's seed and the k − 1 after
// it, so a group started from seed 0 runs seeds 0…k−1 and is easy to extend later.

/** Most runs one seed group launches. */
export const MAX_SEEDS = 20;

export function seedList(first: number, count: number): number[] {
  const k = Math.max(1, Math.min(MAX_SEEDS, Math.floor(count)));
  return Array.from({ length: k }, (_, i) => first + i);
}
