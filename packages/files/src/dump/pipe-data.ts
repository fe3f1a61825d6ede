import { addressOf, hostArch, kbuf, sys } from '@criu-ts/ptrace';
import { refuse } from '@criu-ts/subsystem';
import { reopen } from '../reopen.js';
import { withStolenFd } from './stolen-fd.js';

const O_RDONLY = 0;
const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;
const F_SETPIPE_SZ = 1031;
const F_GETPIPE_SZ = 1032;
const SPLICE_F_NONBLOCK = 2;
const EAGAIN = 11;

/** The bytes queued in a pipe (or FIFO) and its capacity. */
export interface PipeContents {
  readonly size: number;
  readonly data: Uint8Array;
}

/**
 * Copies the unread bytes of the pipe behind fd `fd` of task `pid` without consuming them, all in
 * this process: the pipe is reopened for reading through a copy of the fd (whichever end the task
 * holds), its queue tee(2)d into a pipe of the same capacity, and that pipe read.
 */
export function peekPipe(pid: number, fd: number): PipeContents {
  const nr = hostArch().syscalls;
  return withStolenFd(pid, fd, (stolen) => {
    const reader = reopen(stolen, O_RDONLY | O_NONBLOCK);
    if (reader < 0) return refuse('pipes', pid, `cannot reopen the pipe of fd ${fd} of task ${pid} for reading: errno ${-reader}`);
    const fds = kbuf(8);
    let copy: [number, number] | undefined;
    try {
      const size = sys(nr.fcntl, reader, F_GETPIPE_SZ, 0);
      if (sys(nr.pipe2, addressOf(fds), O_NONBLOCK | O_CLOEXEC) < 0) return refuse('pipes', pid, 'pipe2 failed while copying a pipe');
      copy = [fds.readInt32LE(0), fds.readInt32LE(4)];
      if (size > 65536) sys(nr.fcntl, copy[1], F_SETPIPE_SZ, size);
      const n = sys(nr.tee, reader, copy[1], size, SPLICE_F_NONBLOCK);
      if (n === -EAGAIN || n === 0) return { size, data: new Uint8Array(0) };
      if (n < 0) return refuse('pipes', pid, `tee of fd ${fd} of task ${pid} failed: errno ${-n}`);
      const data = kbuf(n);
      let got = 0;
      while (got < n) {
        const r = sys(nr.read, copy[0], addressOf(data) + BigInt(got), n - got);
        if (r <= 0) return refuse('pipes', pid, `short read of the copy of fd ${fd}'s pipe in task ${pid}`);
        got += r;
      }
      return { size, data: new Uint8Array(data) };
    } finally {
      sys(nr.close, reader);
      if (copy) for (const f of copy) sys(nr.close, f);
    }
  });
}
