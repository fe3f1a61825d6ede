import { fstatSync } from 'node:fs';
import type { MessageValue } from '@criu-ts/images';
import { addressOf, hostArch, keepAlive, sys } from '@criu-ts/ptrace';
import { RestoreFault, type RestorePlan } from '@criu-ts/subsystem';
import type { FdRestorer } from '../fd-restorer.js';
import { restoreFown } from '../fown.js';
import type { RemappedFiles } from '../remapped-files.js';
import { setAsync } from '../set-async.js';
import { cString } from '../../c-string.js';

const AT_FDCWD = -100;
const O_CREAT = 0o100;
const O_EXCL = 0o200;
const O_TRUNC = 0o1000;
const O_ASYNC = 0o20000;
const O_DIRECT = 0o40000;
const O_DIRECTORY = 0o200000;
const O_CLOEXEC = 0o2000000;
const O_PATH = 0o10000000;
/** O_TMPFILE without O_DIRECTORY: such a file has no name and is restored as a ghost. */
const __O_TMPFILE = 0o20000000;
const SEEK_SET = 0;
const EINVAL = 22;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;

/**
 * Regular files, directories, memory devices and O_PATH fds: reopened by path with the flags they
 * were opened with (O_APPEND, O_DIRECT, O_NOATIME, O_PATH...), at their offset, with their owner.
 * A file still at its path must be the one dumped: its mode and, for a regular file, its size must
 * not have changed (as CRIU checks). A deleted file is reopened from its ghost or link remap.
 */
export function regularFiles(remaps: RemappedFiles): FdRestorer {
  const asyncSet = new Set<number>();
  return {
    field: 'reg',
    open(reg: MessageValue, plan: RestorePlan) {
      const nr = hostArch().syscalls;
      const name = String(reg.name);
      const anchor = remaps.anchor(reg, plan);
      const path = anchor === undefined ? name : `/proc/self/fd/${anchor}`;
      // O_ASYNC is set by the task itself (settle), open(2) ignores it
      let flags = Number(reg.flags) & ~(O_CREAT | O_EXCL | O_TRUNC | O_ASYNC);
      if (flags & __O_TMPFILE) flags &= ~(__O_TMPFILE | O_DIRECTORY);
      const at = cString(path);
      const fd = sys(nr.openat, AT_FDCWD, addressOf(at), flags | O_CLOEXEC, 0);
      keepAlive(at);
      if (fd < 0) {
        const why = anchor !== undefined ? ' (deleted at dump time)' : fd === -EINVAL && flags & O_DIRECT ? ' with O_DIRECT, which its file system does not allow' : '';
        throw new RestoreFault('files', `cannot reopen ${name}${why}: errno ${-fd}`);
      }
      try {
        if (anchor === undefined) checkUnchanged(fd, reg, name);
        const pos = BigInt((reg.pos as bigint | undefined) ?? 0n);
        // an O_PATH file has no offset
        if (pos !== 0n && !(flags & O_PATH)) {
          const r = sys(nr.lseek, fd, pos, SEEK_SET);
          if (r < 0) throw new RestoreFault('files', `cannot seek ${name} to ${pos}: errno ${-r}`);
        }
        if (!(flags & O_PATH)) restoreFown(fd, reg.fown as MessageValue | undefined, name);
      } catch (error) {
        sys(nr.close, fd);
        throw error;
      }
      return fd;
    },
    settle(task, fd, reg) {
      if (Number(reg.flags) & O_ASYNC) setAsync(task, fd, Number(reg.flags), String(reg.name), asyncSet, Number(reg.id));
    },
    close: (restored?: boolean) => remaps.close(restored === true),
  };
}

/** The file found at the path must be the one dumped: same type and permissions, and a regular file the same size. */
function checkUnchanged(fd: number, reg: MessageValue, name: string): void {
  if (reg.mode === undefined && reg.size === undefined) return;
  const st = fstatSync(fd, { bigint: true });
  const mode = Number(st.mode);
  if (reg.mode !== undefined && mode !== Number(reg.mode)) {
    throw new RestoreFault('files', `${name} has mode 0${mode.toString(8)}, it had 0${Number(reg.mode).toString(8)} when dumped: the file changed since the dump`);
  }
  if (reg.size !== undefined && (mode & S_IFMT) === S_IFREG && st.size !== BigInt(reg.size as bigint)) {
    throw new RestoreFault('files', `${name} is ${st.size} bytes, it was ${reg.size} bytes when dumped: the file changed since the dump`);
  }
}
