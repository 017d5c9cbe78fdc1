// The Pareto front of an accuracy–cost scatter: the points no other point beats on both axes.

export interface ScatterPoint {
  id: number;
  /** Cost: lower is better (parameters, FLOPs, latency, search time). */
  cost: number;
  /** Accuracy: higher is better. */
  accuracy: number;
}

/** Whether p is at least as good as q on both axes and strictly better on one. */
export function dominates(p: ScatterPoint, q: ScatterPoint): boolean {
  return p.cost <= q.cost && p.accuracy >= q.accuracy && (p.cost < q.cost || p.accuracy > q.accuracy);
}

/** Ids of the non-dominated points, by increasing cost (ties of both values all stay on the front). */
export function paretoFront(points: readonly ScatterPoint[]): number[] {
  const finite = points.filter((p) => Number.isFinite(p.cost) && Number.isFinite(p.accuracy));
  return finite
    .filter((p) => !finite.some((q) => q !== p && dominates(q, p)))
    .sort((p, q) => p.cost - q.cost || q.accuracy - p.accuracy)
    .map((p) => p.id);
}
