import { readSync } from 'node:fs';
import { hostArch, stealFd, sys } from '@criu-ts/ptrace';
import * as E from 'fp-ts/lib/Either.js';
import { refuse } from '@criu-ts/subsystem';
import type { DumpRemote } from '@criu-ts/subsystem';

const O_RDONLY = 0;
const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;
const F_SETPIPE_SZ = 1031;
const F_GETPIPE_SZ = 1032;
const SPLICE_F_NONBLOCK = 2;
const EAGAIN = 11n;

/** The bytes queued in a pipe and its capacity. */
export interface PipeContents {
  readonly size: number;
  readonly data: Uint8Array;
}

/**
 * Copies the unread bytes of the pipe behind fd `fd` of task `pid` without consuming them: the task
 * itself reopens the pipe for reading through /proc/self/fd (works whichever end it holds), creates a
 * pipe of the same capacity and tee(2)s the queue into it; we take that pipe's read end with
 * pidfd_getfd and read it. Every fd made in the task is closed again.
 */
export function peekPipe(pid: number, fd: number, remote: DumpRemote): PipeContents {
  const scratch = remote.scratch(pid);
  const path = new TextEncoder().encode(`/proc/self/fd/${fd}\0`);
  remote.write(pid, scratch + 64n, path);
  const opened: number[] = [];
  try {
    const rfd = Number(remote.call(pid, 'open', [scratch + 64n, O_RDONLY | O_NONBLOCK | O_CLOEXEC, 0]));
    opened.push(rfd);
    const size = Number(remote.call(pid, 'fcntl', [rfd, F_GETPIPE_SZ, 0]));
    remote.call(pid, 'pipe2', [scratch, O_NONBLOCK | O_CLOEXEC]);
    const sv = remote.read(pid, scratch, 8);
    const view = new DataView(sv.buffer, sv.byteOffset);
    const [p0, p1] = [view.getInt32(0, true), view.getInt32(4, true)];
    opened.push(p0, p1);
    if (size > 65536) remote.call(pid, 'fcntl', [p1, F_SETPIPE_SZ, size]);
    const n = remote.callRaw(pid, 'tee', [rfd, p1, size, SPLICE_F_NONBLOCK]);
    if (n === -EAGAIN || n === 0n) return { size, data: new Uint8Array(0) };
    if (n < 0n) refuse('pipes', pid, `tee of fd ${fd} in task ${pid} failed: errno ${-n}`);
    const local = stealFd(pid, p0);
    if (E.isLeft(local)) return refuse('pipes', pid, local.left.message);
    try {
      const data = new Uint8Array(Number(n));
      let got = 0;
      while (got < data.length) {
        const r = readSync(local.right, data, got, data.length - got, null);
        if (r <= 0) refuse('pipes', pid, `short read of the copy of fd ${fd}'s pipe in task ${pid}`);
        got += r;
      }
      return { size, data };
    } finally {
      // a raw close: the fd came from pidfd_getfd, not from node:fs, which warns about closing it
      sys(hostArch().syscalls.close, local.right);
    }
  } finally {
    for (const f of opened.reverse()) remote.callRaw(pid, 'close', [f]);
  }
}
