import type { MessageValue } from '@criu-ts/images';
import { addressOf, hostArch, kbuf, keepAlive, sys } from '@criu-ts/ptrace';
import { type PipeQueue, RestoreFault, type RestorePlan } from '@criu-ts/subsystem';
import type { FdRestorer } from '../fd-restorer.js';
import { restoreFown } from '../fown.js';
import { setAsync } from '../set-async.js';
import { reopen } from '../../reopen.js';

const O_ACCMODE = 3;
const O_NONBLOCK = 0o4000;
const O_ASYNC = 0o20000;
const O_CLOEXEC = 0o2000000;
const F_SETFL = 4;
const F_DUPFD_CLOEXEC = 1030;
const F_SETPIPE_SZ = 1031;
const DEFAULT_PIPE_SIZE = 65536;

/**
 * Pipe ends. Each pipe is made once, refilled with the bytes that were unread and given its
 * capacity; each end's first open file description is the pipe's own end, any further one (a
 * reopen through /proc) is opened anew. Each gets its owner and, set by the task, O_ASYNC.
 */
export function pipes(): FdRestorer {
  const made = new Map<number, { ends: [number, number]; used: [boolean, boolean] }>();
  const asyncSet = new Set<number>();
  const nr = hostArch().syscalls;
  return {
    field: 'pipe',
    open(pipe: MessageValue, plan: RestorePlan) {
      const id = Number(pipe.pipe_id);
      let known = made.get(id);
      if (!known) {
        known = { ends: makePipe(plan.pipeData.get(id)), used: [false, false] };
        made.set(id, known);
      }
      const flags = Number(pipe.flags);
      const end = (flags & O_ACCMODE) === 0 ? 0 : 1;
      let fd: number;
      if (!known.used[end]) {
        known.used[end] = true;
        fd = sys(nr.fcntl, known.ends[end], F_DUPFD_CLOEXEC, 0);
      } else {
        fd = reopen(known.ends[end], flags & O_ACCMODE);
      }
      if (fd < 0) throw new RestoreFault('files', `cannot open an end of pipe ${id}: errno ${-fd}`);
      try {
        if (flags & O_NONBLOCK) sys(nr.fcntl, fd, F_SETFL, O_NONBLOCK);
        restoreFown(fd, pipe.fown as MessageValue | undefined, `an end of pipe ${id}`);
      } catch (error) {
        sys(nr.close, fd);
        throw error;
      }
      return fd;
    },
    settle(task, fd, pipe) {
      const flags = Number(pipe.flags);
      if (flags & O_ASYNC) setAsync(task, fd, flags, `an end of pipe ${String(pipe.pipe_id)}`, asyncSet, Number(pipe.id));
    },
    close() {
      for (const { ends } of made.values()) for (const fd of ends) sys(nr.close, fd);
      made.clear();
    },
  };
}

/** A pipe in this process of the dumped capacity, holding the bytes that were unread at dump time. */
function makePipe(queue: PipeQueue | undefined): [number, number] {
  const { data, size } = queue ?? {};
  const nr = hostArch().syscalls;
  const fds = kbuf(8);
  const r = sys(nr.pipe2, addressOf(fds), O_CLOEXEC);
  if (r < 0) throw new RestoreFault('files', `pipe2 failed: errno ${-r}`);
  const ends: [number, number] = [fds.readInt32LE(0), fds.readInt32LE(4)];
  try {
    fillPipe(ends[1], data, size);
  } catch (error) {
    for (const fd of ends) sys(nr.close, fd);
    throw error;
  }
  return ends;
}

/** Gives the pipe its capacity and writes its bytes in through `writeEnd`. */
function fillPipe(writeEnd: number, data: Uint8Array | undefined, size: number | undefined): void {
  const nr = hostArch().syscalls;
  if (size !== undefined && size !== DEFAULT_PIPE_SIZE) {
    const set = sys(nr.fcntl, writeEnd, F_SETPIPE_SZ, size);
    if (set < 0) throw new RestoreFault('files', `cannot give a pipe its capacity of ${size} bytes: errno ${-set}`);
  }
  if (data && data.length > 0) {
    // a buffer of its own (not a slice of Node's pool), whose address is its first byte
    const bytes = kbuf(data.length);
    bytes.set(data);
    let done = 0;
    while (done < bytes.length) {
      const n = sys(nr.write, writeEnd, addressOf(bytes) + BigInt(done), bytes.length - done);
      if (n <= 0) throw new RestoreFault('files', `cannot refill a pipe with its ${bytes.length} unread bytes: errno ${-n}`);
      done += n;
    }
    keepAlive(bytes);
  }
}
