// Importing a dataset's files without harm: each file is checked to be a regular file of plausible size,
// copied under a name given by its role (never its basename: train/images.gz and test/images.gz are two
// files), into a temporary folder inside the data folder; the copies are validated by streaming them
// (decompression capped by the header), and only then renamed into place in one step. Any failure removes
// the temporary folder. All file work is asynchronous, so the server keeps answering meanwhile.
import { createHash, type Hash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { classCounts } from '../nas/data/image-set';
import { checkRegularFile, openRegularFile } from '../nas/data/file-checks';
import { checkIdxPair, checkPairHeaders, checkSameShape, type PairShape } from '../nas/data/idx-pair-checks';
import { scanIdxFile } from '../nas/data/idx-stream';

export interface DatasetFiles {
  trainImages: string;
  trainLabels: string;
  testImages?: string;
  testLabels?: string;
}

export type Role = keyof DatasetFiles;

/** Roles in checksum order; the copies take MNIST's standard names, so a copied folder is a valid IDX folder. */
const ROLE_FILE_NAMES: Record<Role, string> = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
};
const ROLES = Object.keys(ROLE_FILE_NAMES) as Role[];

const TEMP_PREFIX = '.import-';

export interface SetFacts {
  shape: [number, number, number];
  classes: number;
  trainCount: number;
  testCount: number;
  classCounts: number[];
}

function given(files: DatasetFiles): [Role, string][] {
  return ROLES.flatMap((r) => (files[r] ? [[r, files[r]!] as [Role, string]] : []));
}

async function scanPair(images: string, labels: string, shownAs: { images: string; labels: string }, classes?: number) {
  const im = { path: shownAs.images, ...(await scanIdxFile(images, { shownAs: shownAs.images })) };
  // The labels are kept in memory: their header must match the images before any of them is read.
  const lb = await scanIdxFile(labels, { shownAs: shownAs.labels, keepData: true, onHeader: (h) => checkPairHeaders(im, { path: shownAs.labels, ...h }) });
  const shape = checkIdxPair(im, { path: shownAs.labels, ...lb }, lb.data!, classes);
  return { shape, labels: lb.data! };
}

/**
 * Validates a set's files in full by streaming them: headers, sizes, counts of each pair, labels in range
 * (test labels within the training classes), equal train and test shapes. `shownAs` gives the paths named in
 * errors (the user's files when `files` are the app's copies).
 */
export async function inspectSet(files: DatasetFiles, shownAs: DatasetFiles = files): Promise<SetFacts> {
  const train = await scanPair(files.trainImages, files.trainLabels, { images: shownAs.trainImages, labels: shownAs.trainLabels });
  let test: PairShape | null = null;
  if (files.testImages && files.testLabels) {
    const shown = { images: shownAs.testImages ?? files.testImages, labels: shownAs.testLabels ?? files.testLabels };
    test = (await scanPair(files.testImages, files.testLabels, shown, train.shape.classes)).shape;
    checkSameShape(train.shape, shown.images, test);
  }
  const { height, width, channels, classes } = train.shape;
  return {
    shape: [height, width, channels],
    classes,
    trainCount: train.shape.count,
    testCount: test?.count ?? 0,
    classCounts: classCounts({ labels: train.labels, classes }),
  };
}

/** Copies one file into `dir` under its role's name, feeding the bytes to the set's checksum on the way. */
async function copyByRole(source: string, role: Role, dir: string, hash: Hash): Promise<string> {
  const { handle, size } = await openRegularFile(source);
  try {
    const head = Buffer.alloc(2);
    await handle.read(head, 0, 2, 0);
    const target = join(dir, ROLE_FILE_NAMES[role] + (head[0] === 0x1f && head[1] === 0x8b ? '.gz' : ''));
    await pipeline(
      handle.createReadStream({ start: 0, end: size - 1, autoClose: false }),
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const c of chunks) {
          hash.update(c);
          yield c;
        }
      },
      createWriteStream(target, { flags: 'wx', mode: 0o600 }),
    );
    return target;
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** SHA-256 over the files in role order: the identity of a set, to recognise a re-import. */
export async function checksumFiles(files: DatasetFiles): Promise<string> {
  const hash = createHash('sha256');
  for (const [, path] of given(files)) {
    const { handle, size } = await openRegularFile(path);
    try {
      for await (const c of handle.createReadStream({ start: 0, end: size - 1, autoClose: false })) hash.update(c as Buffer);
    } finally {
      await handle.close().catch(() => undefined);
    }
  }
  return hash.digest('hex');
}

export interface StagedImport {
  files: DatasetFiles;
  facts: SetFacts;
  checksum: string;
  /** Moves the staged folder to `finalDir` (one rename) and returns the files' new paths. */
  commit(finalDir: string): Promise<DatasetFiles>;
  /** Removes the staged folder (no-op after commit). */
  discard(): Promise<void>;
}

/** Copies and validates a set's files in a temporary folder under `datasetsDir`; see the file comment. */
export async function stageImport(sources: DatasetFiles, datasetsDir: string): Promise<StagedImport> {
  // Refuse folders, pipes, devices and missing files before creating anything.
  for (const [, path] of given(sources)) await checkRegularFile(path);
  await mkdir(datasetsDir, { recursive: true, mode: 0o700 });
  let dir: string | null = await mkdtemp(join(datasetsDir, TEMP_PREFIX));
  const discard = async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = null;
  };
  try {
    const hash = createHash('sha256');
    const copies: Partial<DatasetFiles> = {};
    for (const [role, path] of given(sources)) copies[role] = await copyByRole(path, role, dir, hash);
    const files = copies as DatasetFiles;
    const facts = await inspectSet(files, sources);
    const checksum = hash.digest('hex');
    const commit = async (finalDir: string): Promise<DatasetFiles> => {
      await rename(dir!, finalDir);
      const moved = Object.fromEntries(given(files).map(([role, p]) => [role, join(finalDir, basename(p))])) as unknown as DatasetFiles;
      dir = null;
      return moved;
    };
    return { files, facts, checksum, commit, discard };
  } catch (e) {
    await discard();
    throw e;
  }
}

/** Removes temporary folders left by an import that a crash interrupted. */
export async function removeStaleImports(datasetsDir: string): Promise<void> {
  const names = await readdir(datasetsDir).catch(() => [] as string[]);
  for (const n of names) if (n.startsWith(TEMP_PREFIX)) await rm(join(datasetsDir, n), { recursive: true, force: true });
}
