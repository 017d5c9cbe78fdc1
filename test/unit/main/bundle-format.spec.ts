import { describe, expect, test } from 'vitest';
import { decodeCell, encodeCell, isAllowedMemberName, isSafeMemberName } from '../../../src/main/services/bundle/format';

// The names an import accepts from a bundle, and the cell encoding for values JSON cannot spell.

describe('bundle member names', () => {
  test('relative, slash-separated names inside the bundle are safe', () => {
    for (const n of ['manifest.json', 'records/runs.json', 'files/checkpoints/step-1.ckpt', 'files/export/model.json']) expect(isSafeMemberName(n), n).toBe(true);
  });
  test('absolute paths, parent references, empty parts, backslashes and control characters are not', () => {
    for (const n of ['', '/etc/passwd', '../x', 'files/../../x', 'files//x', 'files/./x', 'files\\..\\x', 'files/a\nb', 'files/a\0b', 'x'.repeat(1025)]) {
      expect(isSafeMemberName(n), JSON.stringify(n)).toBe(false);
    }
  });
  test('only the manifest, records/<table>.json and files/… belong in a bundle', () => {
    expect(isAllowedMemberName('records/metrics.json')).toBe(true);
    expect(isAllowedMemberName('files/a/b.bin')).toBe(true);
    for (const n of ['records/Runs.json', 'records/a/b.json', 'records/x.txt', 'other.txt', 'files', 'manifest.json.bak']) expect(isAllowedMemberName(n), n).toBe(false);
  });
});

describe('cell encoding', () => {
  test('non-finite numbers survive JSON; other cells pass through', () => {
    const cells = [Infinity, -Infinity, NaN, 0, -0.5, 1e-300, 'text', null];
    const back = (JSON.parse(JSON.stringify(cells.map(encodeCell))) as unknown[]).map(decodeCell);
    expect(back).toEqual(cells);
  });
  test('an object where a cell belongs is refused', () => {
    expect(() => decodeCell({ evil: 1 })).toThrow(/object/);
  });
});
