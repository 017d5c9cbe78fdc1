// Downsampling for live curves: Largest-Triangle-Three-Buckets keeps the shape of a series with a fixed
// number of points, so a 100k-step run draws as fast as a 100-step one.

export type XY = [number, number];

export function lttb(data: readonly XY[], threshold: number): XY[] {
  const n = data.length;
  if (threshold >= n || threshold < 3) return data.slice();
  const out: XY[] = [data[0]];
  const every = (n - 2) / (threshold - 2);
  let a = 0;
  for (let i = 0; i < threshold - 2; i++) {
    const avgStart = Math.floor((i + 1) * every) + 1;
    const avgEnd = Math.min(Math.floor((i + 2) * every) + 1, n);
    let avgX = 0;
    let avgY = 0;
    for (let j = avgStart; j < avgEnd; j++) {
      avgX += data[j][0];
      avgY += data[j][1];
    }
    const len = avgEnd - avgStart || 1;
    avgX /= len;
    avgY /= len;
    const rangeStart = Math.floor(i * every) + 1;
    const rangeEnd = Math.floor((i + 1) * every) + 1;
    const [ax, ay] = data[a];
    let maxArea = -1;
    let next = rangeStart;
    for (let j = rangeStart; j < rangeEnd; j++) {
      const area = Math.abs((ax - avgX) * (data[j][1] - ay) - (ax - data[j][0]) * (avgY - ay));
      if (area > maxArea) {
        maxArea = area;
        next = j;
      }
    }
    out.push(data[next]);
    a = next;
  }
  out.push(data[n - 1]);
  return out;
}
