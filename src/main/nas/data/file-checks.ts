// A dataset path must be a regular file of plausible size before anything reads it. The kind is checked with
// stat before opening (opening a FIFO for reading blocks until a writer appears), the file is opened
// non-blocking all the same, and the open descriptor is checked again, so a path swapped for a FIFO or a
// device in between is still refused. Errors name the path as the user gave it.
import { closeSync, constants, fstatSync, openSync, statSync, type Stats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { DatasetFileError } from './errors';
import { MAX_IDX_DATA_BYTES } from './idx-header';

/** The largest file accepted: the largest data part plus room for gzip's overhead on incompressible data. */
export const MAX_IDX_FILE_BYTES = MAX_IDX_DATA_BYTES + 64 * 1024 ** 2;

const PICK_FILE = 'Pick the IDX file itself (e.g. train-images-idx3-ubyte.gz).';

function notRegular(s: Stats): string | null {
  if (s.isFile()) return null;
  if (s.isDirectory()) return 'is a folder, not an IDX file';
  if (s.isFIFO()) return 'is a named pipe (FIFO), not a regular file; NAS Studio does not read from pipes';
  if (s.isSocket()) return 'is a socket, not a regular file';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'is a device, not a regular file';
  return 'is not a regular file';
}

function checkStats(path: string, s: Stats): void {
  const problem = notRegular(s);
  if (problem) throw new DatasetFileError(path, problem, PICK_FILE);
  if (s.size === 0) throw new DatasetFileError(path, 'the file is empty (0 bytes)', 'Re-download the file; the copy on disk holds nothing.');
  if (s.size > MAX_IDX_FILE_BYTES) {
    throw new DatasetFileError(
      path,
      `is ${(s.size / 1024 ** 3).toFixed(1)} GiB, larger than any dataset file NAS Studio loads (${(MAX_IDX_FILE_BYTES / 1024 ** 3).toFixed(1)} GiB)`,
      'Check that this is the right file; use a smaller subset of the dataset.',
    );
  }
}

/** The error for a failed stat/open/read, phrased for the person who picked the file. */
export function fileAccessError(path: string, e: unknown): DatasetFileError {
  if (e instanceof DatasetFileError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new DatasetFileError(path, 'file not found', 'Check the path (it is read on the machine that runs NAS Studio), or pick the file again.');
  if (code === 'ENOTDIR') return new DatasetFileError(path, 'file not found (a folder in the path is a file)', 'Check the path.');
  if (code === 'EACCES' || code === 'EPERM') return new DatasetFileError(path, 'permission denied when reading the file', 'Make the file readable by your user account.');
  if (code === 'ELOOP') return new DatasetFileError(path, 'the path is a loop of symbolic links', 'Pick the file itself.');
  if (code === 'EISDIR') return new DatasetFileError(path, 'is a folder, not an IDX file', PICK_FILE);
  return new DatasetFileError(path, `cannot be read (${code ?? (e as Error).message})`, 'Check the path and the disk.');
}

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

/** Opens a regular file for reading, synchronously (CLI, trainer). `shownAs` is the path named in errors. */
export function openRegularFileSync(path: string, shownAs = path): { fd: number; size: number } {
  let fd: number | null = null;
  try {
    checkStats(shownAs, statSync(path));
    fd = openSync(path, OPEN_FLAGS);
    const s = fstatSync(fd);
    checkStats(shownAs, s);
    return { fd, size: s.size };
  } catch (e) {
    if (fd !== null) closeSync(fd);
    throw fileAccessError(shownAs, e);
  }
}

/** Opens a regular file for reading without blocking the event loop. `shownAs` is the path named in errors. */
export async function openRegularFile(path: string, shownAs = path): Promise<{ handle: FileHandle; size: number }> {
  let handle: FileHandle | null = null;
  try {
    checkStats(shownAs, await stat(path));
    handle = await open(path, OPEN_FLAGS);
    const s = await handle.stat();
    checkStats(shownAs, s);
    return { handle, size: s.size };
  } catch (e) {
    await handle?.close().catch(() => undefined);
    throw fileAccessError(shownAs, e);
  }
}

/** Checks that a path is a readable regular file of plausible size, without opening it. Returns its size. */
export async function checkRegularFile(path: string): Promise<number> {
  try {
    const s = await stat(path);
    checkStats(path, s);
    return s.size;
  } catch (e) {
    throw fileAccessError(path, e);
  }
}
