import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FASHION_MNIST_CLASS_NAMES } from '../../src/shared/dataset-classes';
import { makeTempDir, startServer, type ServerProcess } from '../support/nas-server';
import { launchBrowser, openPage, tid } from './browser';

// The Datasets view at the laptop widths people use (1024–1280 px): the Delete button and its confirmation
// lie fully inside the list's card and work; class names show; a re-import says the set is already there.
// Screenshots: test-artifacts/e2e/datasets-*.png.

function idx(typeCode: number, dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = typeCode;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return gzipSync(Buffer.concat([header, data]));
}

type Box = { x: number; y: number; width: number; height: number };
async function box(l: Locator): Promise<Box> {
  const b = await l.boundingBox();
  if (!b) throw new Error('element is not visible');
  return b;
}
function expectInside(inner: Box, outer: Box, what: string): void {
  const eps = 0.5;
  expect(inner.x, `${what}: left edge`).toBeGreaterThanOrEqual(outer.x - eps);
  expect(inner.y, `${what}: top edge`).toBeGreaterThanOrEqual(outer.y - eps);
  expect(inner.x + inner.width, `${what}: right edge`).toBeLessThanOrEqual(outer.x + outer.width + eps);
  expect(inner.y + inner.height, `${what}: bottom edge`).toBeLessThanOrEqual(outer.y + outer.height + eps);
}
/** Content wider than its box (hidden by overflow or spilling out) shows as scrollWidth > clientWidth. */
async function overflowsX(page: Page, selector: string): Promise<string[]> {
  return page.$$eval(selector, (els) =>
    els.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => `${e.className}: ${e.scrollWidth} > ${e.clientWidth}`),
  );
}

describe('e2e: Datasets view at 1024 and 1280 px', () => {
  const tmp = makeTempDir('nas-e2e-datasets-');
  let s: ServerProcess;
  let browser: Browser;
  let demoId: number;
  let longId: number;
  beforeAll(async () => {
    [s, browser] = await Promise.all([startServer(join(tmp.dir, 'data')), launchBrowser()]);
    demoId = (await s.call<{ id: number }>('datasets.importBuiltin', { which: 'demo' })).id;
    // A second, small set with a long name: 40 images of 8×8, 4 classes.
    const files = join(tmp.dir, 'files');
    mkdirSync(files);
    writeFileSync(join(files, 'images.gz'), idx(0x08, [40, 8, 8], new Uint8Array(40 * 64).map((_, i) => (i * 13) % 256)));
    writeFileSync(join(files, 'labels.gz'), idx(0x08, [40], Uint8Array.from({ length: 40 }, (_, i) => i % 4)));
    longId = (
      await s.call<{ id: number }>('datasets.import', {
        name: 'Handwritten glyphs from the 1998 archive, cleaned and re-labelled by hand',
        trainImages: join(files, 'images.gz'),
        trainLabels: join(files, 'labels.gz'),
      })
    ).id;
  });
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
    tmp.dispose();
  });

  for (const width of [1024, 1280]) {
    test(`${width} px: Delete and its confirmation lie inside the card; class names; deleting works`, async () => {
      const { page, shot, pageErrors } = await openPage(browser);
      await page.setViewportSize({ width, height: 820 });
      await page.goto(s.url);
      await page.click(tid('nav-datasets'));
      const card = page.locator(tid('dataset-list'));
      await card.locator(tid('dataset-row')).nth(1).waitFor();

      // Fashion-MNIST's class names, in label order, next to the class counts.
      await page.locator(`${tid('dataset-row')}[data-dataset-id="${demoId}"]`).click();
      const labels = page.locator(`${tid('dataset-detail')} ${tid('dataset-class-label')}`);
      await labels.nth(9).waitFor();
      expect(await labels.allTextContents()).toEqual(FASHION_MNIST_CLASS_NAMES.map((n, i) => `${i} · ${n}`));

      for (const id of [demoId, longId]) {
        expectInside(await box(page.locator(tid(`dataset-delete-${id}`))), await box(card), `Delete of dataset ${id}`);
      }
      await page.click(tid(`dataset-delete-${demoId}`));
      const confirm = page.locator(tid(`dataset-confirm-${demoId}`));
      await confirm.waitFor();
      const cardBox = await box(card);
      expectInside(await box(confirm), cardBox, 'the confirmation');
      expectInside(await box(page.locator(tid(`dataset-confirm-delete-${demoId}`))), cardBox, 'the confirming Delete');
      expectInside(await box(page.locator(tid(`dataset-confirm-cancel-${demoId}`))), cardBox, 'Cancel');
      expect(await overflowsX(page, `${tid('dataset-list')}, ${tid('dataset-list')} .row, ${tid('dataset-list')} .confirm, ${tid('dataset-detail')}`)).toEqual([]);
      // The page itself does not scroll sideways.
      expect(await page.evaluate('document.documentElement.scrollWidth <= document.documentElement.clientWidth')).toBe(true);
      await shot(`datasets-${width}-confirm`);

      // Cancel keeps it; the confirmation's own Delete deletes (the small set, re-imported for the next width).
      await page.click(tid(`dataset-confirm-cancel-${demoId}`));
      await confirm.waitFor({ state: 'detached' });
      await page.click(tid(`dataset-delete-${longId}`));
      await page.click(tid(`dataset-confirm-delete-${longId}`));
      await page.locator(`${tid('dataset-row')}[data-dataset-id="${longId}"]`).waitFor({ state: 'detached' });
      expect((await s.call<{ id: number }[]>('datasets.list')).map((d) => d.id)).toEqual([demoId]);

      // Importing the demo set again says it is already there, and adds nothing.
      await page.click(tid('datasets-import-demo'));
      await page.locator(`${tid('toast')}:has-text("already in your datasets")`).waitFor();
      expect(await card.locator(tid('dataset-row')).count()).toBe(1);
      await shot(`datasets-${width}-already-there`);
      expect(pageErrors).toEqual([]);

      const files = join(tmp.dir, 'files');
      longId = (
        await s.call<{ id: number }>('datasets.import', {
          name: 'Handwritten glyphs from the 1998 archive, cleaned and re-labelled by hand',
          trainImages: join(files, 'images.gz'),
          trainLabels: join(files, 'labels.gz'),
        })
      ).id;
      await page.close();
    });
  }
});
