import type { MessageValue } from '@criu-ts/images';
import { errnoName } from '@criu-ts/ptrace';
import { RestoreFault } from '@criu-ts/subsystem';
import { kernelDev, openByHandle, openPath } from '../file-handle.js';

/**
 * Opens (O_PATH, in this process) the inode an inotify watch or a fanotify mark was on: by its file
 * handle, so it is the same inode whatever its path has become; by the path kept with the handle only
 * if the handle no longer opens (images from another boot of a tmpfs, where inodes do not survive).
 */
export function openWatched(what: string, sdev: number, ino: bigint, fh: MessageValue): number {
  const byHandle = openByHandle(sdev, fh);
  if (byHandle >= 0) return byHandle;
  const path = fh.path === undefined ? undefined : String(fh.path);
  const byPath = path === undefined ? -1 : openPath(path);
  if (byPath >= 0) return byPath;
  const tried = path === undefined ? '' : ` nor by its path ${path} (${errnoName(-byPath)})`;
  throw new RestoreFault('files', `${what}: inode ${ino} of device ${kernelDev(sdev)} cannot be opened by its file handle (${errnoName(-byHandle)})${tried}`);
}
