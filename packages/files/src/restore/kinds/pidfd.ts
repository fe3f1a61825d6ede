import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { MessageValue } from '@criu-ts/images';
import { errnoName, hostArch, sys } from '@criu-ts/ptrace';
import { RestoreFault, type RestorePlan } from '@criu-ts/subsystem';
import type { FdRestorer } from '../fd-restorer.js';
import { restoreFown } from '../fown.js';

const O_NONBLOCK = 0o4000;
/** PIDFD_THREAD */
const O_EXCL = 0o200;
const SIGKILL = 9;
const REAP_TIMEOUT_MS = 5000;

/**
 * pidfds. One of a live process is pidfd_open of its pid, which the restore gave back: every task
 * exists before any task's fds are made. One of a process that had exited and been reaped is a pidfd
 * of a process started for it, killed and reaped by init before any task gets the pidfd: it reads as
 * a process that has exited (poll reports it, pidfd_send_signal says ESRCH, waitid says ECHILD). The
 * pidfds that named one dead process (one inode) name one such process again.
 */
export function pidfds(): FdRestorer {
  /** pidfds of dead processes made ahead, by file id, for the file entries that share a dead inode. */
  const ahead = new Map<number, number>();
  const nr = hostArch().syscalls;
  return {
    field: 'pidfd',
    open(pidfd: MessageValue, plan: RestorePlan) {
      const id = Number(pidfd.id);
      const pid = Number(pidfd.nspid);
      if (pid !== -1) {
        const fd = sys(nr.pidfd_open, pid, flagsOf(pidfd));
        if (fd < 0) throw new RestoreFault('files', `pidfd ${id}: cannot open a pidfd of process ${pid}: ${errnoName(-fd)}`, pid);
        return withOwner(fd, pidfd);
      }
      const known = ahead.get(id);
      if (known !== undefined) {
        ahead.delete(id);
        return withOwner(known, pidfd);
      }
      const sharing = [...plan.files.values()]
        .map((file) => file.pidfd as MessageValue | undefined)
        .filter((p): p is MessageValue => p !== undefined && Number(p.nspid) === -1 && Number(p.ino) === Number(pidfd.ino) && Number(p.id) !== id);
      const fds = deadPidfds([pidfd, ...sharing]);
      sharing.forEach((p, i) => ahead.set(Number(p.id), fds[i + 1]));
      return withOwner(fds[0], pidfd);
    },
    close() {
      for (const fd of ahead.values()) sys(nr.close, fd);
      ahead.clear();
    },
  };
}

function withOwner(fd: number, pidfd: MessageValue): number {
  try {
    restoreFown(fd, pidfd.fown as MessageValue | undefined, `pidfd ${pidfd.id}`);
  } catch (error) {
    sys(hostArch().syscalls.close, fd);
    throw error;
  }
  return fd;
}

function flagsOf(pidfd: MessageValue): number {
  return Number(pidfd.flags) & (O_NONBLOCK | O_EXCL);
}

/** pidfds, one per entry, of one process started for them and gone (killed and reaped) when this returns. */
function deadPidfds(entries: readonly MessageValue[]): number[] {
  const nr = hostArch().syscalls;
  // started by a shell that exits at once: its parent is init, which reaps it, never this process
  const run = spawnSync('sh', ['-c', 'sleep infinity </dev/null >/dev/null 2>&1 & echo $!'], { encoding: 'utf8' });
  const pid = Number(run.stdout.trim());
  if (run.status !== 0 || !(pid > 0)) throw new RestoreFault('files', `pidfd ${entries[0].id} of an exited process: cannot start a process to stand for it: ${run.stderr}`);
  const fds: number[] = [];
  try {
    for (const entry of entries) {
      const fd = sys(nr.pidfd_open, pid, flagsOf(entry));
      if (fd < 0) throw new RestoreFault('files', `pidfd ${entry.id} of an exited process: pidfd_open of stand-in ${pid} failed: ${errnoName(-fd)}`);
      fds.push(fd);
    }
    const killed = sys(nr.pidfd_send_signal, fds[0], SIGKILL, 0, 0);
    if (killed < 0) throw new RestoreFault('files', `pidfd ${entries[0].id} of an exited process: cannot kill stand-in ${pid}: ${errnoName(-killed)}`);
    waitReaped(fds[0], pid);
    return fds;
  } catch (error) {
    for (const fd of fds) sys(nr.close, fd);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
    throw error;
  }
}

/** Until fdinfo shows `Pid: -1`: the process is not only dead but reaped, as the dumped one was. */
function waitReaped(fd: number, pid: number): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + REAP_TIMEOUT_MS;
  while (!/^Pid:\s*-1$/m.test(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))) {
    if (Date.now() > deadline) throw new RestoreFault('files', `stand-in process ${pid} for an exited process's pidfd was not reaped by its parent within ${REAP_TIMEOUT_MS} ms`);
    Atomics.wait(pause, 0, 0, 5);
  }
}
