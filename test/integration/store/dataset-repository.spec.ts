import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatasetSchema } from '../../../src/shared/api';
import { FASHION_MNIST_CLASS_NAMES } from '../../../src/shared/dataset-classes';
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
    expect(added).toEqual({ ...input, kind: 'images', id: added.id, classNames: [...FASHION_MNIST_CLASS_NAMES] });
    const read = store.datasets.get(added.id)!;
    expect(DatasetSchema.parse(read)).toEqual(read);
    expect(read).toEqual(added);
    expect(store.datasets.findByName('Fashion-MNIST')).toEqual(added);
    expect(store.datasets.findByName('fashion')).toBeNull();
  });

  it('finds a dataset by the checksum of its files (a re-import), the first one imported', () => {
    const first = store.datasets.add({ ...input, name: 'one', checksum: 'c1' });
    store.datasets.add({ ...input, name: 'two', checksum: 'c1' });
    expect(store.datasets.findByChecksum('c1')?.id).toBe(first.id);
    expect(store.datasets.findByChecksum('c2')).toBeNull();
  });

  it('gives class names only where the set is known (Fashion-MNIST by name or checksum, with 10 classes)', () => {
    const demoChecksum = '51c95124f13dbe56f857477a4b63b070dc7ef9a0dd0c461f7e075a4a45429a4f';
    expect(store.datasets.add({ ...input, name: 'clothes', checksum: demoChecksum }).classNames).toEqual([...FASHION_MNIST_CLASS_NAMES]);
    expect(store.datasets.add({ ...input, name: 'MNIST', checksum: 'x' }).classNames).toBeUndefined();
    expect(store.datasets.add({ ...input, name: 'fashion_mnist subset', classes: 3, checksum: 'y' }).classNames).toBeUndefined();
    expect(store.datasets.list().filter((d) => d.classNames).map((d) => d.name)).toEqual(['clothes']);
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
