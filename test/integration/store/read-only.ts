import { execFileSync } from 'node:child_process';
import { chmodSync } from 'node:fs';

// Making a folder or file read-only in a way that also binds root (tests often run as root, for whom chmod
// changes nothing): a read-only bind mount for a folder, the immutable attribute for a file. As another user,
// chmod is enough. Each returns an undo function, or a reason why this machine cannot do it.

export type ReadOnly = { undo: () => void } | { unavailable: string };

const isRoot = process.getuid?.() === 0;

export function makeFolderReadOnly(dir: string): ReadOnly {
  if (!isRoot) {
    chmodSync(dir, 0o500);
    return { undo: () => chmodSync(dir, 0o700) };
  }
  try {
    execFileSync('mount', ['--bind', dir, dir], { stdio: 'pipe' });
  } catch (err) {
    return { unavailable: `running as root and 'mount --bind' is not permitted here (${(err as Error).message.trim()})` };
  }
  try {
    execFileSync('mount', ['-o', 'remount,bind,ro', dir], { stdio: 'pipe' });
  } catch (err) {
    execFileSync('umount', [dir]);
    return { unavailable: `running as root and a read-only remount is not permitted here (${(err as Error).message.trim()})` };
  }
  return { undo: () => execFileSync('umount', [dir]) };
}

export function makeFileReadOnly(file: string): ReadOnly {
  if (!isRoot) {
    chmodSync(file, 0o400);
    return { undo: () => chmodSync(file, 0o600) };
  }
  try {
    execFileSync('chattr', ['+i', file], { stdio: 'pipe' });
  } catch (err) {
    return { unavailable: `running as root and 'chattr +i' is not permitted on this file system (${(err as Error).message.trim()})` };
  }
  return { undo: () => execFileSync('chattr', ['-i', file]) };
}
