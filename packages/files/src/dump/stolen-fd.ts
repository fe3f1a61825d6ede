import { hostArch, stealFd, sys } from '@criu-ts/ptrace';
import * as E from 'fp-ts/lib/Either.js';
import { refuse } from '@criu-ts/subsystem';

/**
 * Runs `use` with a copy, in this process, of fd `fd` of task `pid` (pidfd_getfd): the same open
 * file, so what it reads (timers, offsets, queued bytes) is the task's, with no code run in the task.
 */
export function withStolenFd<T>(pid: number, fd: number, use: (local: number) => T): T {
  const local = stealFd(pid, fd);
  if (E.isLeft(local)) return refuse('fds', pid, `cannot take a copy of fd ${fd} of task ${pid}: ${local.left.message}`);
  try {
    return use(local.right);
  } finally {
    // a raw close: the fd did not come from node:fs, which warns about closing fds it did not open
    sys(hostArch().syscalls.close, local.right);
  }
}
