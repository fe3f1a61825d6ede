import { dirname, join } from 'node:path';
import { addressOf, hostArch, keepAlive, sys } from '@criu-ts/ptrace';
import { refuse } from '@criu-ts/subsystem';
import { cString } from '../c-string.js';

const AT_FDCWD = -100;
const AT_SYMLINK_FOLLOW = 0x400;

/** A deleted file that keeps other names, to be linked back under `name` through `link`. */
export interface LinkRemap {
  readonly pid: number;
  /** /proc/PID/fd/N or /proc/PID/map_files/..., which reaches the inode. */
  readonly link: string;
  /** The file's path when it was opened, " (deleted)" cut off. */
  readonly path: string;
  readonly name: string;
}

/** Where a link remap goes: CRIU's name (link_remap.<id>, id its REG entry's), next to the file's old path. */
export function linkRemapName(path: string, id: number): string {
  return join(dirname(path), `link_remap.${id}`);
}

/**
 * Gives each deleted-but-linked inode a name again (linkat through the /proc link, which the kernel
 * allows while the inode has other links). All or none: a failure unlinks the names made so far.
 */
export function linkBack(remaps: readonly LinkRemap[]): void {
  const nr = hostArch().syscalls;
  const made: string[] = [];
  for (const remap of remaps) {
    const from = cString(remap.link);
    const to = cString(remap.name);
    const r = sys(nr.linkat, AT_FDCWD, addressOf(from), AT_FDCWD, addressOf(to), AT_SYMLINK_FOLLOW);
    keepAlive(from, to);
    if (r < 0) {
      unlinkAll(made);
      refuse('link-remap', remap.pid, `cannot link the deleted file ${remap.path} of task ${remap.pid} back as ${remap.name}: errno ${-r}`);
    }
    made.push(remap.name);
  }
}

function unlinkAll(names: readonly string[]): void {
  const nr = hostArch().syscalls;
  for (const name of names) {
    const path = cString(name);
    sys(nr.unlinkat, AT_FDCWD, addressOf(path), 0);
    keepAlive(path);
  }
}
