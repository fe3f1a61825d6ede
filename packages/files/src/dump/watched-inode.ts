import { readlinkSync, statSync } from 'node:fs';
import type { MessageValue } from '@criu-ts/images';
import { errnoName, hostArch, sys } from '@criu-ts/ptrace';
import { refuse } from '@criu-ts/subsystem';
import { handleEntry, kernelDev, openByHandle, openPath } from '../file-handle.js';
import type { OpenFd } from './open-fd.js';

/** The `name:value` tokens of one fdinfo line (`inotify wd:1 ino:3f7e8 sdev:fe00000 ...`), values as printed. */
export function lineFields(line: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const m of line.matchAll(/([A-Za-z_-]+):\s*(\S*)/g)) fields[m[1]] = m[2];
  return fields;
}

/**
 * The fh_entry of the inode an inotify watch or fanotify mark is on (`fields`: its fdinfo line), with
 * the path it has now when that path still leads to it (CRIU keeps one too; the restore goes by the
 * handle first). Refused, naming `what`, if the inode has no handle or cannot be opened by it now:
 * the restore would not find it either.
 */
export function watchedInode(fd: OpenFd, what: string, fields: Record<string, string>): MessageValue {
  const sdev = parseInt(fields.sdev, 16);
  const ino = BigInt(`0x${fields.ino}`);
  const where = `task ${fd.pid} fd ${fd.fd} (${what}) is on inode ${ino} of device ${kernelDev(sdev)}`;
  if (fields['fhandle-bytes'] === undefined || fields.f_handle === undefined) {
    refuse('fds', fd.pid, `${where}, whose filesystem gives no file handles: it cannot be found again at restore`);
  }
  const fh = handleEntry(parseInt(fields['fhandle-bytes'], 16), parseInt(fields['fhandle-type'], 16), fields.f_handle);
  const opened = openByHandle(sdev, fh);
  if (opened < 0) refuse('fds', fd.pid, `${where}, which cannot be opened by its file handle: ${errnoName(-opened)}`);
  try {
    const path = readlinkSync(`/proc/self/fd/${opened}`);
    if (leadsTo(path, ino)) fh.path = path;
  } finally {
    sys(hostArch().syscalls.close, opened);
  }
  return fh;
}

/** Whether `path` names inode `ino` (a deleted or renamed-over inode's old name does not). */
function leadsTo(path: string, ino: bigint): boolean {
  if (!path.startsWith('/')) return false;
  const fd = openPath(path);
  if (fd < 0) return false;
  try {
    return statSync(`/proc/self/fd/${fd}`, { bigint: true }).ino === ino;
  } catch {
    return false;
  } finally {
    sys(hostArch().syscalls.close, fd);
  }
}
