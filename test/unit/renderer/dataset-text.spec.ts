import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../../src/shared/api';
import { folderOf, isAppCopy } from '../../../src/renderer/src/components/datasets/dataset-text';

// The delete confirmation says whether files go: the server removes only its own copies under
// <data folder>/datasets/ (src/main/services/datasets-service.ts), never a system set.

const at = (location: string) => ({ location }) as Dataset;

describe('dataset delete wording', () => {
  it('knows an imported copy from a system set', () => {
    const dataDir = '/home/ada/.config/NAS Studio';
    expect(isAppCopy(at(`${dataDir}/datasets/17-demo/train-images-idx3-ubyte.gz`), dataDir)).toBe(true);
    expect(isAppCopy(at('/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz'), dataDir)).toBe(false);
    // A sibling folder whose name only starts like the data folder is not inside it.
    expect(isAppCopy(at(`${dataDir}-old/datasets/1/x.gz`), dataDir)).toBe(false);
    expect(isAppCopy(at(`${dataDir}/datasets/1/x.gz`), `${dataDir}/`)).toBe(true);
  });
  it('reads Windows paths and a location stored as JSON', () => {
    expect(isAppCopy(at('C:\\Users\\ada\\NAS\\datasets\\1\\x.gz'), 'C:\\Users\\ada\\NAS')).toBe(true);
    expect(isAppCopy(at(JSON.stringify({ trainImages: '/d/datasets/1/a.gz', trainLabels: '/d/datasets/1/b.gz' })), '/d')).toBe(true);
  });
  it('says nothing before it knows the data folder', () => {
    expect(isAppCopy(at('/d/datasets/1/a.gz'), null)).toBeNull();
  });
  it('names the folder of a file', () => {
    expect(folderOf('/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz')).toBe('/usr/share/datasets/fashion-mnist');
    expect(folderOf('C:\\data\\x.gz')).toBe('C:\\data');
  });
});
