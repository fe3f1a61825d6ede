import { readFileSync } from 'node:fs';
import { refuse } from '@criu-ts/subsystem';
import type { FdDumper } from '../fd-dumper.js';
import { FD_TYPES } from '../file-table.js';
import { readFown } from '../fown.js';
import { fdinfoField, type OpenFd } from '../open-fd.js';

const O_RDWR = 2;

/**
 * pidfds, in CRIU's pidfd_entry: the pid (fdinfo's `Pid:`; the tree shares our pid namespace, so it
 * is also the NSpid), the pidfd's inode, and its flags (PIDFD_NONBLOCK; PIDFD_THREAD is O_EXCL).
 * The process must be one of the dumped tree, whose pids the restore gives back; a pidfd of a process
 * outside it is refused. A pidfd of a process that has exited and been reaped (`Pid: -1`) is kept as
 * such: the restore gives it a pidfd of a process that has exited too.
 */
export const pidfds: FdDumper = {
  name: 'pidfd',
  type: FD_TYPES.PIDFD,
  field: 'pidfd',
  claims(fd) {
    if (fd.target !== 'anon_inode:[pidfd]') return false;
    const pid = targetPid(fd);
    // a pid that is gone by now has no Tgid: whether it is in the tree is asked below
    const tgid = pid === -1 ? pid : Number(/^Tgid:\s*(\d+)/m.exec(status(pid))?.[1] ?? pid);
    if (tgid !== pid) {
      refuse('fds', fd.pid, `task ${fd.pid} fd ${fd.fd} is a pidfd of thread ${pid} of process ${tgid}: pidfds of threads other than a main thread cannot be dumped yet`);
    }
    return true;
  },
  key: (fd) => `pidfd:${fdinfoField(fd.fdinfo, 'ino')}:${fd.flags}`,
  entry(fd, id, ctx) {
    const pid = targetPid(fd);
    if (pid !== -1 && !ctx.tasks?.has(pid)) {
      refuse('fds', fd.pid, `task ${fd.pid} fd ${fd.fd} is a pidfd of process ${pid}, which is not in the dumped tree: its pid could not be given back at restore`);
    }
    return { id, ino: Number(fdinfoField(fd.fdinfo, 'ino')), flags: fd.flags & ~O_RDWR, nspid: pid, fown: readFown(fd) };
  },
};

function targetPid(fd: OpenFd): number {
  const pid = fdinfoField(fd.fdinfo, 'Pid');
  if (pid === undefined) refuse('fds', fd.pid, `task ${fd.pid} fd ${fd.fd} (pidfd): no Pid in its fdinfo`);
  return Number(pid);
}

function status(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return '';
  }
}
