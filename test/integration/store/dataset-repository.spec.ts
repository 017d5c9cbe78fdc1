import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatasetSchema } from '../../../src/shared/api';
import { Store } from '../../../src/main/store/store';
import { tempDataDir } from './helpers';

const input = {
  name: 'Fashion-MNIST',
  format: 'idx',
  location: '/usr/share/fashion-mnist',
  shape: [28, 28, 1],
  classes: 10,
  trainCount: 60000,
  testCount: 10000,
  classCounts: [6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000],
  checksum: 'sha256:abc',
  createdAt: 123,
};

describe('DatasetRepository', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  let store: Store;
  beforeEach(() => {
    tmp = tempDataDir();
    store = Store.open(tmp.dbPath);
  });
  afterEach(() => {
    store.close();
    tmp.dispose();
  });

  it('stores a dataset and reads it back in the Dataset shape', () => {
    const added = store.datasets.add(input);
    expect(added).toEqual({ ...input, id: added.id });
    const read = store.datasets.get(added.id)!;
    expect(DatasetSchema.parse(read)).toEqual(read);
    expect(read).toEqual(added);
    expect(store.datasets.findByName('Fashion-MNIST')).toEqual(added);
    expect(store.datasets.findByName('fashion')).toBeNull();
  });

  it('lists by name and deletes', () => {
    const b = store.datasets.add({ ...input, name: 'mnist' });
    const a = store.datasets.add({ ...input, name: 'CIFAR-10' });
    expect(store.datasets.list().map((d) => d.name)).toEqual(['CIFAR-10', 'mnist']);
    expect(store.datasets.delete(a.id)).toBe(true);
    expect(store.datasets.delete(a.id)).toBe(false);
    expect(store.datasets.list()).toEqual([b]);
    expect(store.datasets.get(a.id)).toBeNull();
  });
});
