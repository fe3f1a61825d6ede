import type { MessageValue } from '@criu-ts/images';
import { addressOf, hostArch, sys } from '@criu-ts/ptrace';
import { RestoreFault } from '@criu-ts/subsystem';
import { cString } from '../c-string.js';
import type { FilesRestoreOptions } from './files-restore-options.js';

const AT_FDCWD = -100;
const O_CREAT = 0o100;
const O_EXCL = 0o200;
const O_TRUNC = 0o1000;
const O_CLOEXEC = 0o2000000;
const F_SETFL = 4;
const F_DUPFD_CLOEXEC = 1030;
const SEEK_SET = 0;

/**
 * --inherit-fd fd[N]:RESOURCE: our fd N stands in for a file the tree held, named as CRIU names it:
 * `pipe:[INODE]`, `socket:[INODE]`, a regular file's path without its leading slash (or with it),
 * or `file[MNT_ID:INODE]` (hex) for a file marked --external at dump. The task gets our open file
 * description itself, given the dumped status flags (O_NONBLOCK...); an external file is reopened
 * through it with the dumped flags and offset, as CRIU does. Returns our new fd, or undefined when
 * the file is not inherited.
 */
export function inheritedFd(file: MessageValue, options: FilesRestoreOptions): number | undefined {
  const reg = file.reg as MessageValue | undefined;
  const names = resourceNames(file);
  const name = names.find((n) => options.inheritFds?.has(n));
  if (name === undefined) {
    if (reg?.ext) throw new RestoreFault('files', `file ${file.id} is ${reg.name}, external at dump: restore with --inherit-fd fd[N]:${reg.name}`);
    return undefined;
  }
  const ours = options.inheritFds!.get(name)!;
  const entry = (reg ?? file.pipe ?? file.usk) as MessageValue;
  const flags = Number(entry.flags ?? 0);
  const nr = hostArch().syscalls;
  if (reg?.ext) {
    const path = cString(`/proc/self/fd/${ours}`);
    const fd = sys(nr.openat, AT_FDCWD, addressOf(path), (flags & ~(O_CREAT | O_EXCL | O_TRUNC)) | O_CLOEXEC, 0);
    if (fd < 0) throw new RestoreFault('files', `--inherit-fd fd[${ours}]:${name}: cannot reopen fd ${ours}: errno ${-fd}`);
    const pos = BigInt((reg.pos as bigint | undefined) ?? 0n);
    if (pos !== 0n && sys(nr.lseek, fd, pos, SEEK_SET) < 0) {
      sys(nr.close, fd);
      throw new RestoreFault('files', `--inherit-fd fd[${ours}]:${name}: cannot seek to ${pos}`);
    }
    return fd;
  }
  const fd = sys(nr.fcntl, ours, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) throw new RestoreFault('files', `--inherit-fd fd[${ours}]:${name}: fd ${ours} is not open here (errno ${-fd})`);
  // F_SETFL changes only what may change (O_APPEND, O_NONBLOCK, O_ASYNC, O_DIRECT, O_NOATIME)
  const set = sys(nr.fcntl, fd, F_SETFL, flags);
  if (set < 0) {
    sys(nr.close, fd);
    throw new RestoreFault('files', `--inherit-fd fd[${ours}]:${name}: cannot give it the dumped flags 0${flags.toString(8)}: errno ${-set}`);
  }
  return fd;
}

/** The names CRIU's --inherit-fd knows file entry `file` by. */
function resourceNames(file: MessageValue): string[] {
  const pipe = file.pipe as MessageValue | undefined;
  if (pipe) return [`pipe:[${pipe.pipe_id}]`];
  const usk = file.usk as MessageValue | undefined;
  if (usk) return [`socket:[${usk.ino}]`];
  const reg = file.reg as MessageValue | undefined;
  if (reg) {
    const name = String(reg.name);
    return reg.ext ? [name] : [name.replace(/^\/+/, ''), name];
  }
  return [];
}
