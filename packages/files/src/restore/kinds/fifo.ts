import { fstatSync } from 'node:fs';
import type { MessageValue } from '@criu-ts/images';
import { addressOf, hostArch, kbuf, keepAlive, sys } from '@criu-ts/ptrace';
import { type PipeQueue, RestoreFault, type RestorePlan } from '@criu-ts/subsystem';
import type { FdRestorer } from '../fd-restorer.js';
import { restoreFown } from '../fown.js';
import { readKindImage } from '../kind-image.js';
import type { RemappedFiles } from '../remapped-files.js';
import { setAsync } from '../set-async.js';
import { cString } from '../../c-string.js';

const AT_FDCWD = -100;
const O_RDWR = 2;
const O_NONBLOCK = 0o4000;
const O_ASYNC = 0o20000;
const O_CLOEXEC = 0o2000000;
const F_SETPIPE_SZ = 1031;
const DEFAULT_PIPE_SIZE = 65536;

/**
 * Named pipes. Opening one end of a FIFO waits for the other, so each FIFO is first opened here
 * read-write (which never waits), given its capacity and refilled with its unread bytes
 * (fifo-data.img); every end is then a reopen of that fd through /proc with the end's own flags,
 * and the read-write one stays open until the restore ends, keeping the queued bytes alive
 * whichever task holds the ends.
 */
export function fifos(remaps: RemappedFiles): FdRestorer {
  const opened = new Map<number, number>();
  let queues: Map<number, PipeQueue> | undefined;
  const asyncSet = new Set<number>();
  const nr = hostArch().syscalls;
  return {
    field: 'fifo',
    open(fifo: MessageValue, plan: RestorePlan) {
      const regId = Number(fifo.regf_id ?? fifo.id);
      const reg = plan.files.get(regId)?.reg as MessageValue | undefined;
      if (!reg) throw new RestoreFault('images', `files.img: FIFO ${fifo.id} names file ${regId} for its path, which files.img lacks`);
      const name = String(reg.name);
      const pipeId = Number(fifo.pipe_id);
      let both = opened.get(pipeId);
      if (both === undefined) {
        queues ??= readQueues(plan.imagesDir);
        both = openBothEnds(name, remaps.anchor(reg, plan), queues.get(pipeId));
        opened.set(pipeId, both);
      }
      const flags = Number(reg.flags);
      const at = cString(`/proc/self/fd/${both}`);
      const fd = sys(nr.openat, AT_FDCWD, addressOf(at), (flags & ~O_ASYNC) | O_CLOEXEC, 0);
      keepAlive(at);
      if (fd < 0) throw new RestoreFault('files', `cannot open the FIFO ${name} with flags 0${flags.toString(8)}: errno ${-fd}`);
      try {
        restoreFown(fd, reg.fown as MessageValue | undefined, `the FIFO ${name}`);
      } catch (error) {
        sys(nr.close, fd);
        throw error;
      }
      return fd;
    },
    settle(task, fd, fifo, plan) {
      const reg = plan.files.get(Number(fifo.regf_id ?? fifo.id))?.reg as MessageValue;
      if (Number(reg.flags) & O_ASYNC) setAsync(task, fd, Number(reg.flags), `the FIFO ${String(reg.name)}`, asyncSet, Number(fifo.id));
    },
    close(restored?: boolean) {
      for (const fd of opened.values()) sys(nr.close, fd);
      opened.clear();
      remaps.close(restored === true);
    },
  };
}

/** The FIFO read-write, of its dumped capacity and holding its unread bytes; `anchor`: the FIFO was deleted. */
function openBothEnds(name: string, anchor: number | undefined, queue: PipeQueue | undefined): number {
  const nr = hostArch().syscalls;
  const at = cString(anchor === undefined ? name : `/proc/self/fd/${anchor}`);
  const fd = sys(nr.openat, AT_FDCWD, addressOf(at), O_RDWR | O_NONBLOCK | O_CLOEXEC, 0);
  keepAlive(at);
  if (fd < 0) throw new RestoreFault('files', `cannot open the FIFO ${name}: errno ${-fd}`);
  try {
    if (!fstatSync(fd).isFIFO()) throw new RestoreFault('files', `${name} is no FIFO any more: the file changed since the dump`);
    const { data, size } = queue ?? {};
    if (size !== undefined && size !== DEFAULT_PIPE_SIZE) {
      const r = sys(nr.fcntl, fd, F_SETPIPE_SZ, size);
      if (r < 0) throw new RestoreFault('files', `cannot give the FIFO ${name} its capacity of ${size} bytes: errno ${-r}`);
    }
    if (data && data.length > 0) {
      const bytes = kbuf(data.length);
      bytes.set(data);
      let done = 0;
      while (done < bytes.length) {
        const n = sys(nr.write, fd, addressOf(bytes) + BigInt(done), bytes.length - done);
        if (n <= 0) throw new RestoreFault('files', `cannot refill the FIFO ${name} with its ${bytes.length} unread bytes: errno ${-n}`);
        done += n;
      }
      keepAlive(bytes);
    }
  } catch (error) {
    sys(nr.close, fd);
    throw error;
  }
  return fd;
}

/** fifo-data.img: the unread bytes and capacity of each FIFO, by pipe id. */
function readQueues(imagesDir: string): Map<number, PipeQueue> {
  const queues = new Map<number, PipeQueue>();
  for (const { message, payload } of readKindImage(imagesDir, 'fifo-data.img') ?? []) {
    queues.set(Number(message.pipe_id), { data: payload as Uint8Array, size: message.size === undefined ? undefined : Number(message.size) });
  }
  return queues;
}
