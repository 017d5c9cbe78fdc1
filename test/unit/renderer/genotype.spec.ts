import { describe, expect, it } from 'vitest';
import { NB201_OPS } from '../../../src/shared/spaces/nb201';
import { DARTS_OPS, dartsEdgeIndex, dartsStepsForEdgeCount } from '../../../src/shared/spaces/darts';
import { deriveDartsCell, deriveNb201Ops } from '../../../src/shared/genotype';
import { dartsGraph, dartsInputText, edgeLabels, graphFromAlpha, prettyEdgeLabel } from '../../../src/renderer/src/lib/genotype';

const nb201FromAlpha = (w: number[][], ops: string[], allowNone = true) => deriveNb201Ops(w, ops, allowNone);
const dartsFromAlpha = (w: number[][], ops: string[]) => deriveDartsCell(w, ops, dartsStepsForEdgeCount(w.length));
const dartsStepsForEdges = dartsStepsForEdgeCount;

const oneHot = (n: number, k: number, hi = 0.6) => Array.from({ length: n }, (_, i) => (i === k ? hi : (1 - hi) / (n - 1)));

describe('nb201FromAlpha', () => {
  const ops = [...NB201_OPS];
  it('takes the argmax op of each edge, none included', () => {
    const w = [0, 1, 2, 3, 4, 0].map((k) => oneHot(5, k));
    expect(nb201FromAlpha(w, ops)).toEqual(['none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3', 'none']);
  });
  it('skips none when allowNone is false', () => {
    const w = [[0.5, 0.2, 0.1, 0.1, 0.1]];
    expect(nb201FromAlpha(w, ops, false)).toEqual(['skip_connect']);
  });
});

describe('dartsFromAlpha', () => {
  const ops = [...DARTS_OPS];
  it('knows the node count from the edge count', () => {
    expect(dartsStepsForEdges(14)).toBe(4);
    expect(dartsStepsForEdges(5)).toBe(2);
    expect(() => dartsStepsForEdges(13)).toThrow();
  });
  it('keeps the two strongest non-none inputs per node, with their argmax non-none op', () => {
    // Every edge prefers `none` strongly; non-none strengths differ per edge.
    const w = Array.from({ length: 14 }, () => [0.9, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.04]);
    w[dartsEdgeIndex(0, 0)] = [0.5, 0, 0, 0, 0.3, 0, 0, 0.2]; // sep_conv_3x3 0.3
    w[dartsEdgeIndex(0, 1)] = [0.5, 0, 0, 0.25, 0, 0, 0, 0.25]; // skip 0.25 (ties → first)
    w[dartsEdgeIndex(2, 3)] = [0.1, 0, 0, 0, 0, 0.8, 0.1, 0]; // sep_conv_5x5 0.8
    w[dartsEdgeIndex(2, 0)] = [0.1, 0, 0.7, 0, 0, 0.2, 0, 0]; // avg_pool 0.7
    const g = dartsFromAlpha(w, ops);
    expect(g).toHaveLength(8);
    expect(g.slice(0, 2)).toEqual([
      ['sep_conv_3x3', 0],
      ['skip_connect', 1],
    ]);
    expect(g.slice(4, 6)).toEqual([
      ['avg_pool_3x3', 0],
      ['sep_conv_5x5', 3],
    ]);
    expect(g.every(([op]) => op !== 'none')).toBe(true);
  });
});

describe('graphs', () => {
  it('draws a DARTS cell: 2 inputs, 4 nodes, 1 output, 8 op edges and 4 concat edges', () => {
    const w = Array.from({ length: 14 }, (_, e) => oneHot(8, 1 + (e % 7)));
    const m = graphFromAlpha('darts', { ops: [...DARTS_OPS], cells: { normal: w } }, 'normal');
    expect(m?.nodes.map((n) => n.id)).toEqual(['s0', 's1', 'n0', 'n1', 'n2', 'n3', 'out']);
    expect(m?.edges.filter((e) => e.op !== null)).toHaveLength(8);
    expect(m?.edges.filter((e) => e.op === null && e.to === 'out')).toHaveLength(4);
  });
  it('draws an NB201 cell with an edge per i<j', () => {
    const w = Array.from({ length: 6 }, () => oneHot(5, 3));
    const m = graphFromAlpha('nb201', { ops: [...NB201_OPS], cells: { cell: w } }, 'cell');
    expect(m?.edges.map((e) => `${e.from}-${e.to}:${e.op}`)).toEqual([
      'n0-n1:nor_conv_3x3',
      'n0-n2:nor_conv_3x3',
      'n1-n2:nor_conv_3x3',
      'n0-n3:nor_conv_3x3',
      'n1-n3:nor_conv_3x3',
      'n2-n3:nor_conv_3x3',
    ]);
  });
  it('maps genotype inputs to states', () => {
    const m = dartsGraph([['skip_connect', 0], ['sep_conv_3x3', 1], ['max_pool_3x3', 2], ['skip_connect', 0]], 2);
    expect(m.edges.slice(0, 4).map((e) => `${e.from}>${e.to}`)).toEqual(['s0>n0', 's1>n0', 'n0>n1', 's0>n1']);
  });
  it('labels edges in α-row order', () => {
    expect(edgeLabels('nb201', 6)).toEqual(['0→1', '0→2', '1→2', '0→3', '1→3', '2→3']);
    expect(edgeLabels('darts', 14).slice(0, 3)).toEqual(['cₖ₋₂→0', 'cₖ₋₁→0', 'cₖ₋₂→1']);
  });
  it("writes the trainer's edge labels with the same cell inputs as the heat map and the result", () => {
    expect(prettyEdgeLabel('c_{k-2} → node 1')).toBe(`${dartsInputText(0)} → node 1`);
    expect(prettyEdgeLabel('c_{k-1} → node 0')).toBe('cₖ₋₁ → node 0');
    expect(prettyEdgeLabel('node 0 → node 1')).toBe('node 0 → node 1');
    expect(prettyEdgeLabel('0→3')).toBe('0→3');
  });
});
