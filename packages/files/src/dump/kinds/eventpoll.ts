import type { MessageValue } from '@criu-ts/images';
import { addressOf, errnoName, hostArch, kbuf, keepAlive, sys } from '@criu-ts/ptrace';
import { refuse } from '@criu-ts/subsystem';
import type { FdDumper } from '../fd-dumper.js';
import { FD_TYPES } from '../file-table.js';
import { readFown } from '../fown.js';
import type { OpenFd } from '../open-fd.js';

const KCMP_EPOLL_TFD = 7;
const EBADF = 9;
const ENOENT = 2;

/**
 * epoll instances, written as CRIU 4.x does: one eventpoll_file_entry holding a tfd entry per
 * registered target, as its fdinfo `tfd:` line shows it (the fd number it was added under, the
 * event mask with EPOLLET, EPOLLONESHOT, EPOLLEXCLUSIVE and EPOLLWAKEUP, the data word, and the
 * target's pos, inode and device). The mask is the kernel's current one, so a one-shot target that
 * already fired is recorded disarmed (no event bits left). What fdinfo does not show, and so is
 * not kept: which targets sit on the ready list, and whether an edge-triggered target's edge has
 * already been reported (after restore a ready EPOLLET target is reported once more).
 *
 * The fd numbers are the dumping task's (the first task of the tree that holds the epoll): each must
 * still hold the file that was registered under it, since the restore registers targets by those
 * numbers. A target whose fd was closed (or reused) after registration is refused.
 */
export const eventpolls: FdDumper = {
  name: 'epoll',
  type: FD_TYPES.EVENTPOLL,
  field: 'epfd',
  claims: (fd) => fd.target === 'anon_inode:[eventpoll]',
  // every epoll shares one anonymous inode: kcmp tells instances apart
  // its registrations in the key: distinct epolls are told apart without a kcmp each
  key: (fd) => `eventpoll:${fd.flags}:${fd.fdinfo.split('\n').filter((line) => line.startsWith('tfd:')).join('|')}`,
  entry(fd, id) {
    const targets = parseTargets(fd);
    targets.forEach((target, index) => checkTarget(fd, target, occurrence(targets, index)));
    // id named the epoll in CRIU's older, separate eventpoll-tfd.img; inside the entry CRIU 4.x leaves it 0
    const tfd: MessageValue[] = targets.map((t) => ({ id: 0, tfd: t.tfd, events: t.events, data: t.data, dev: t.dev, inode: t.inode, pos: t.pos }));
    return { id, flags: fd.flags, fown: readFown(fd), tfd };
  },
};

/** One `tfd:` line of an epoll's fdinfo. */
interface EpollTarget {
  readonly tfd: number;
  readonly events: number;
  readonly data: bigint;
  readonly pos: bigint;
  readonly inode: bigint;
  readonly dev: number;
}

/** `tfd: %8d events: %8x data: %16llx  pos:%lli ino:%lx sdev:%x`, once per registered target. */
function parseTargets(fd: OpenFd): EpollTarget[] {
  const targets: EpollTarget[] = [];
  for (const line of fd.fdinfo.split('\n')) {
    if (!line.startsWith('tfd:')) continue;
    const m = /^tfd:\s*(\d+)\s+events:\s*([0-9a-f]+)\s+data:\s*([0-9a-f]+)\s+pos:(-?\d+)\s+ino:([0-9a-f]+)\s+sdev:([0-9a-f]+)/.exec(line);
    if (!m) refuse('fds', fd.pid, `task ${fd.pid} fd ${fd.fd} (epoll): cannot read "${line.trim()}" in its fdinfo`);
    targets.push({
      tfd: Number(m[1]),
      events: parseInt(m[2], 16) >>> 0,
      data: BigInt(`0x${m[3]}`),
      pos: BigInt.asUintN(64, BigInt(m[4])),
      inode: BigInt(`0x${m[5]}`),
      dev: parseInt(m[6], 16) >>> 0,
    });
  }
  return targets;
}

/**
 * How many targets before `index` carry the same fd number: kcmp's `toff`, which picks among
 * registrations made under one number (the first fd closed and its number reused by another file).
 */
function occurrence(targets: readonly EpollTarget[], index: number): number {
  return targets.slice(0, index).filter((t) => t.tfd === targets[index].tfd).length;
}

/**
 * Whether fd `tfd` of the task is still the file registered under it: kcmp(KCMP_EPOLL_TFD) compares
 * the task's fd with the epoll's target, run here (root may compare any two tasks' files).
 */
function checkTarget(fd: OpenFd, target: EpollTarget, toff: number): void {
  const nr = hostArch().syscalls;
  // struct kcmp_epoll_slot { __u32 efd, tfd, toff; }
  const slot = kbuf(12);
  slot.writeUInt32LE(fd.fd, 0);
  slot.writeUInt32LE(target.tfd, 4);
  slot.writeUInt32LE(toff, 8);
  const r = sys(nr.kcmp, fd.pid, fd.pid, KCMP_EPOLL_TFD, target.tfd, addressOf(slot));
  keepAlive(slot);
  if (r === 0) return;
  const where = `task ${fd.pid} epoll fd ${fd.fd} watches fd ${target.tfd} (inode ${target.inode})`;
  const rule = 'a target is restored by the fd number it was added under, so that fd must still hold it';
  if (r === -EBADF) refuse('fds', fd.pid, `${where}, but the task has closed that fd while the file lives on elsewhere: ${rule}`);
  if (r > 0) refuse('fds', fd.pid, `${where}, but that fd now holds another file (the registered one was closed and lives on elsewhere): ${rule}`);
  if (r === -ENOENT) refuse('fds', fd.pid, `${where}, which kcmp cannot find in the epoll`);
  refuse('fds', fd.pid, `${where}: kcmp(KCMP_EPOLL_TFD) failed: ${errnoName(-r)}`);
}
