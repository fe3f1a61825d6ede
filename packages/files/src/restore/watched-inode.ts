import type { MessageValue } from '@criu-ts/images';
import { errnoName } from '@criu-ts/ptrace';
import { RestoreFault, type RestorePlan } from '@criu-ts/subsystem';
import { kernelDev, openByHandle, openPath } from '../file-handle.js';
import { reopen } from '../reopen.js';
import type { RemappedFiles } from './remapped-files.js';

const O_PATH = 0o10000000;

/**
 * Opens (O_PATH, in this process) the inode an inotify watch or a fanotify mark was on: the ghost of
 * a deleted file the dump saved (the restored tasks hold that copy); else by its file handle, so it
 * is the same inode whatever its path has become; by the path kept with the handle only if the handle
 * no longer opens (images from another boot of a tmpfs, where inodes do not survive).
 */
export function openWatched(what: string, sdev: number, ino: bigint, fh: MessageValue, remaps: RemappedFiles, plan: RestorePlan): number {
  const ghost = remaps.ghostOfInode(sdev, ino, plan);
  if (ghost !== undefined) {
    const fd = reopen(ghost, O_PATH);
    if (fd < 0) throw new RestoreFault('files', `${what}: cannot reopen the ghost of deleted inode ${ino}: ${errnoName(-fd)}`);
    return fd;
  }
  const byHandle = openByHandle(sdev, fh);
  if (byHandle >= 0) return byHandle;
  const path = fh.path === undefined ? undefined : String(fh.path);
  const byPath = path === undefined ? -1 : openPath(path);
  if (byPath >= 0) return byPath;
  const tried = path === undefined ? '' : ` nor by its path ${path} (${errnoName(-byPath)})`;
  throw new RestoreFault('files', `${what}: inode ${ino} of device ${kernelDev(sdev)} cannot be opened by its file handle (${errnoName(-byHandle)})${tried}`);
}
