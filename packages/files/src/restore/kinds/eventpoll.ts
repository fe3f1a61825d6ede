import { readFileSync } from 'node:fs';
import type { MessageValue } from '@criu-ts/images';
import { errnoName, hostArch, sys } from '@criu-ts/ptrace';
import { type RemoteTask, RestoreFault } from '@criu-ts/subsystem';
import type { FdRestorer } from '../fd-restorer.js';
import { restoreFown } from '../fown.js';

const O_NONBLOCK = 0o4000;
const EPOLL_CLOEXEC = 0o2000000;
const F_SETFL = 4;
const EPOLL_CTL_ADD = 1;
const EPOLL_CTL_MOD = 3;
/** EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE: the kernel's EP_PRIVATE_BITS, kept when a one-shot fires. */
const PRIVATE_BITS = 0xf0000000;
const EPOLLONESHOT = 0x40000000;
/** Every readiness bit a file can report (IN, PRI, OUT, RDNORM, RDBAND, WRNORM, WRBAND, MSG, RDHUP). */
const ANY_EVENT = 0x27c7;

/**
 * epoll instances. The instance is made here; its targets are added in the task (remote epoll_ctl),
 * because an epoll registration names its target by the task's fd number, and that number stays
 * part of the registration (EPOLL_CTL_MOD and DEL use it). Each target gets back its event mask as
 * fdinfo showed it (EPOLLET, EPOLLONESHOT, EPOLLEXCLUSIVE included; a one-shot that had fired comes
 * back disarmed) and its data word.
 *
 * A one-shot target that had fired was recorded with no event bits, but epoll_ctl always adds
 * EPOLLERR | EPOLLHUP, so it cannot be added disarmed. It is added first, alone, watching every
 * event, and made to fire once (epoll_wait in the task): firing leaves only its private bits, as at
 * dump. One that is not ready for anything cannot fire and stays armed for EPOLLERR | EPOLLHUP only.
 *
 * An epoll held by several tasks is registered once, in the first task that settles it: the dump
 * took the fd numbers from the first task of the tree holding it, and tasks are restored in the
 * order they were dumped (pstree order).
 */
export function eventpolls(): FdRestorer {
  const registered = new Set<number>();
  const nr = hostArch().syscalls;
  return {
    field: 'epfd',
    open(epfd: MessageValue) {
      const fd = sys(nr.epoll_create1, EPOLL_CLOEXEC);
      if (fd < 0) throw new RestoreFault('files', `epoll_create1 failed for epoll ${String(epfd.id)}: ${errnoName(-fd)}`);
      try {
        if (Number(epfd.flags) & O_NONBLOCK) sys(nr.fcntl, fd, F_SETFL, O_NONBLOCK);
        restoreFown(fd, epfd.fown as MessageValue | undefined, `epoll ${String(epfd.id)}`);
      } catch (e) {
        sys(nr.close, fd);
        throw e;
      }
      return fd;
    },
    settle(task: RemoteTask, fd: number, epfd: MessageValue) {
      const id = Number(epfd.id);
      if (registered.has(id)) return;
      registered.add(id);
      const targets = (epfd.tfd as MessageValue[] | undefined) ?? [];
      const disarmed = targets.filter((t) => (Number(t.events) & ~PRIVATE_BITS) === 0 && Number(t.events) & EPOLLONESHOT);
      if (disarmed.length > 0) disarm(task, fd, disarmed);
      for (const target of targets) if (!disarmed.includes(target)) addTarget(task, fd, target, EPOLL_CTL_ADD, Number(target.events));
    },
    close() {
      registered.clear();
    },
  };
}

/**
 * Adds the one-shot targets that had fired to an epoll that holds nothing else yet, ready to fire
 * on anything, and takes their events once in the task; those that did not fire are narrowed to
 * what they had (the kernel keeps EPOLLERR | EPOLLHUP on them).
 */
function disarm(task: RemoteTask, epfd: number, targets: readonly MessageValue[]): void {
  for (const target of targets) addTarget(task, epfd, target, EPOLL_CTL_ADD, Number(target.events) | ANY_EVENT);
  task.resetScratch();
  const events = task.reserve(16 * targets.length);
  const { ret } = task.try('epoll_pwait', [epfd, events, targets.length, 0, 0, 8]);
  if (ret < 0n) throw new RestoreFault('files', `task ${task.tid}: epoll fd ${epfd}: epoll_pwait to disarm its fired one-shot targets failed: ${errnoName(Number(-ret))}`, task.tid);
  const armed = armedTargets(task.tid, epfd);
  for (const target of targets) if (armed.has(Number(target.tfd))) addTarget(task, epfd, target, EPOLL_CTL_MOD, Number(target.events));
}

/** The fd numbers of the targets an epoll of the task watches with some event bit, by its fdinfo. */
function armedTargets(pid: number, epfd: number): Set<number> {
  const armed = new Set<number>();
  for (const m of readFileSync(`/proc/${pid}/fdinfo/${epfd}`, 'utf8').matchAll(/^tfd:\s*(\d+)\s+events:\s*([0-9a-f]+)/gm)) {
    if ((parseInt(m[2], 16) & ~PRIVATE_BITS) !== 0) armed.add(Number(m[1]));
  }
  return armed;
}

/** EPOLL_CTL_ADD (or MOD) of one target with `events`, run by the task on its own fds. */
function addTarget(task: RemoteTask, epfd: number, target: MessageValue, op: number, events: number): void {
  const tfd = Number(target.tfd);
  task.resetScratch();
  const event = task.put(epollEvent(task.arch.name, events, BigInt(target.data as bigint)));
  const { ret } = task.try('epoll_ctl', [epfd, op, tfd, event]);
  if (ret < 0n) {
    const mask = (events >>> 0).toString(16);
    throw new RestoreFault('files', `task ${task.tid}: epoll fd ${epfd} cannot watch fd ${tfd} again (events 0x${mask}): epoll_ctl ${errnoName(Number(-ret))}`, task.tid);
  }
}

/** struct epoll_event { u32 events; u64 data; }: packed to 12 bytes on x86-64 only. */
function epollEvent(arch: string, events: number, data: bigint): Uint8Array {
  const packed = arch === 'x86_64';
  const event = Buffer.alloc(packed ? 12 : 16);
  event.writeUInt32LE(events >>> 0, 0);
  event.writeBigUInt64LE(BigInt.asUintN(64, data), packed ? 4 : 8);
  return event;
}
