import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { channels } from '../../../src/shared/api';
import { createApp, type NasApp } from '../../../src/main/app';
import { loadMnistFamily } from '../../../src/main/nas/data/mnist-family';
import { TRAINER_JS } from '../../support/nas-server';
import { DEMO, imagesIdx, labelsIdx, tempDir } from '../datasets/fixtures';

// datasets.images through the app's request path (argument schema, handler, service) on the real demo files:
// the images the InstaNAS path gallery shows, picked by their index in the test split.

describe('datasets.images', () => {
  let tmp: ReturnType<typeof tempDir>;
  let app: NasApp;
  beforeEach(() => {
    tmp = tempDir('nas-images-');
    const dataDir = join(tmp.dir, 'data');
    mkdirSync(dataDir);
    app = createApp({ dataDir, mode: 'headless', trainerScript: TRAINER_JS });
  });
  afterEach(async () => {
    await app.close();
    tmp.dispose();
  });

  it('returns the test images and labels at the asked indices, in the asked order, byte for byte', async () => {
    const d = (await app.invoke('datasets.importBuiltin', { which: 'demo' })) as { id: number };
    const indices = [499, 0, 17, 17];
    const got = channels['datasets.images'].result.parse(await app.invoke('datasets.images', { id: d.id, split: 'test', indices }));
    const demo = loadMnistFamily(DEMO);
    const size = 28 * 28;
    expect(got.map((x) => x.index)).toEqual(indices);
    got.forEach((img, i) => {
      const at = indices[i]!;
      expect(img).toMatchObject({ width: 28, height: 28, label: demo.test.labels[at] });
      expect(Buffer.from(img.pixels, 'base64').equals(Buffer.from(demo.test.images.subarray(at * size, (at + 1) * size)))).toBe(true);
    });
    // The train split is another file: image 0 differs.
    const train = (await app.invoke('datasets.images', { id: d.id, split: 'train', indices: [0] })) as { pixels: string }[];
    expect(Buffer.from(train[0]!.pixels, 'base64').equals(Buffer.from(demo.train.images.subarray(0, size)))).toBe(true);
  });

  it('says what is wrong: an index past the split, too many indices, a dataset without test files', async () => {
    const d = (await app.invoke('datasets.importBuiltin', { which: 'demo' })) as { id: number };
    await expect(app.invoke('datasets.images', { id: d.id, split: 'test', indices: [3, 500, 9000] })).rejects.toThrow(/500, 9000 are beyond this split's 500 images \(0 to 499\)/);
    await expect(app.invoke('datasets.images', { id: d.id, split: 'test', indices: Array.from({ length: 65 }, (_, i) => i) })).rejects.toThrow(/indices/);
    const dir = join(tmp.dir, 'train-only');
    mkdirSync(dir);
    writeFileSync(join(dir, 'images'), imagesIdx(20));
    writeFileSync(join(dir, 'labels'), labelsIdx(Array.from({ length: 20 }, (_, i) => i % 2)));
    const own = (await app.invoke('datasets.import', { name: 'train only', trainImages: join(dir, 'images'), trainLabels: join(dir, 'labels') })) as { id: number };
    await expect(app.invoke('datasets.images', { id: own.id, split: 'test', indices: [0] })).rejects.toThrow(/imported without test files/);
    await expect(app.invoke('datasets.images', { id: own.id, split: 'train', indices: [19] })).resolves.toHaveLength(1);
  });
});
