// Axis and colour-scale helpers for the run view's charts (pure; unit-tested).

/** An epoch axis value for ticks and tooltips: whole epochs as integers, fractions with at most 2 decimals. */
export function formatEpoch(v: number): string {
  if (!Number.isFinite(v)) return '';
  if (Math.abs(v - Math.round(v)) < 1e-9) return String(Math.round(v));
  return String(Number(v.toFixed(2)));
}

export interface HeatRange {
  min: number;
  max: number;
  /** Decimals that tell min and max apart on the legend. */
  digits: number;
}

/**
 * The colour scale of an α heat map: the data's own min–max, so early α (0.198–0.202) shows its differences
 * instead of one colour. A constant matrix gets a tiny range around its value.
 */
export function heatRange(values: readonly (readonly number[])[]): HeatRange {
  let min = Infinity;
  let max = -Infinity;
  for (const row of values) {
    for (const v of row) {
      if (!Number.isFinite(v)) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  if (min === Infinity) return { min: 0, max: 1, digits: 2 };
  if (max - min < 1e-9) {
    const pad = Math.max(Math.abs(max) * 1e-3, 1e-6);
    min -= pad;
    max += pad;
  }
  const digits = Math.min(6, Math.max(2, Math.ceil(-Math.log10(max - min)) + 1));
  return { min, max, digits };
}
