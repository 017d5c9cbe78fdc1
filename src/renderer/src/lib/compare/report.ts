// The one-click comparison report: a JSON of everything compared, and one SVG with the merged cells and
// the differing rows of the table (vector, opens anywhere).
import type { ComparedRun } from '../../../../shared/api';
import type { Agreement } from './agreement';
import { cellOf, cellTypesOf, editDistance, sameArchitecture } from './cells';
import { mergeCells } from './graph-diff';
import type { CompareRow } from './table';

export function reportJson(runs: readonly ComparedRun[], rows: readonly CompareRow[], a: number, b: number, agreement: Agreement, groupId: number | null) {
  const space = runs[0]?.detail.config.space.name ?? '';
  const cells = cellTypesOf(space).map((cellType) => {
    const list = runs.map((r) => cellOf(r, cellType));
    const merged = mergeCells(list, a, b);
    const ca = list[a];
    const cb = list[b];
    return {
      cellType,
      sameArchitecture: ca && cb ? sameArchitecture(space, ca, cb) : null,
      editDistance: ca && cb ? editDistance(space, ca, cb) : null,
      edges: merged?.edges.map((e) => ({ from: e.from, to: e.to, diff: e.diff, ops: e.ops })) ?? [],
    };
  });
  return {
    report: 'nas-studio comparison',
    generatedAt: new Date().toISOString(),
    runs: runs.map((r) => ({ id: r.detail.id, name: r.detail.name, strategy: r.detail.strategy, space: r.detail.space, seed: r.detail.seed })),
    baseline: runs[a]?.detail.id ?? null,
    runB: runs[b]?.detail.id ?? null,
    seedGroup: groupId,
    agreement,
    cells,
    table: rows.map((r) => ({ key: r.key, label: r.label, identical: r.identical, values: r.values })),
  };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Stacks the given SVG graphs (their outerHTML, with viewBox) under a title and above text lines. Styles
 * the CSS would give are inlined by the caller (computed stroke/fill) so the file draws the same elsewhere.
 */
export function reportSvg(title: string, graphs: readonly { caption: string; svg: SVGSVGElement }[], lines: readonly string[]): string {
  const W = 900;
  let y = 40;
  const parts = [`<text x="16" y="26" font-size="18" font-weight="600">${esc(title)}</text>`];
  for (const g of graphs) {
    const vb = g.svg.viewBox.baseVal;
    const scale = Math.min(1.4, (W - 32) / Math.max(1, vb.width));
    const h = vb.height * scale;
    parts.push(`<text x="16" y="${y + 14}" font-size="13" font-weight="600">${esc(g.caption)}</text>`);
    parts.push(`<g transform="translate(16,${y + 22}) scale(${scale})">${g.svg.innerHTML}</g>`);
    y += h + 36;
  }
  for (const line of lines) {
    parts.push(`<text x="16" y="${y + 14}" font-size="11" font-family="monospace">${esc(line)}</text>`);
    y += 16;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y + 16}" viewBox="0 0 ${W} ${y + 16}" font-family="sans-serif"><rect width="100%" height="100%" fill="#fff"/>${parts.join('')}</svg>`;
}

/** Copies each element's computed stroke, fill, opacity and dash onto it, so a cloned SVG keeps its look. */
export function inlineStyles(source: SVGSVGElement): SVGSVGElement {
  const clone = source.cloneNode(true) as SVGSVGElement;
  const from = source.querySelectorAll('*');
  const to = clone.querySelectorAll('*');
  from.forEach((el, i) => {
    const cs = getComputedStyle(el);
    const t = to[i] as SVGElement;
    for (const prop of ['stroke', 'fill', 'stroke-width', 'stroke-dasharray', 'opacity', 'font-size', 'font-family', 'font-weight']) {
      const v = cs.getPropertyValue(prop);
      if (v) t.style.setProperty(prop, v);
    }
  });
  return clone;
}
