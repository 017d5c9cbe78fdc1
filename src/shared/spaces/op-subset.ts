/**
 * The candidate ops a search uses: the chosen subset in the space's own order (so α columns always follow
 * the space's op list), or every op when none is chosen. Refuses unknown ops and a list of only `none`.
 */
export function orderedOpSubset(spaceLabel: string, all: readonly string[], ops: readonly string[] | undefined): string[] {
  if (!ops || ops.length === 0) return [...all];
  for (const op of ops) {
    if (!all.includes(op)) throw new Error(`Unknown ${spaceLabel} op '${op}'. Valid ops: ${all.join(', ')}.`);
  }
  const ordered = all.filter((op) => ops.includes(op));
  if (ordered.every((op) => op === 'none')) throw new Error('The op list needs at least one op other than none.');
  return ordered;
}
