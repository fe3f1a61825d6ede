import { readdirSync } from 'node:fs';
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
 * The fd numbers are the dumping task's (the first task of the tree that holds the epoll): the
 * restore registers each target again under its number. A target whose fd was closed (or reused)
 * after registration, its file still open under another fd of the task, is recorded under that other
 * number, as CRIU does: the restored epoll watches the same file and reports the same data, but
 * under a number the task can name (EPOLL_CTL_MOD or DEL by the old number no longer find it). One
 * whose file the task holds under no fd at all is refused.
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
    const numbers = targets.map((target, index) => numberOf(fd, target, occurrence(targets, index)));
    numbers.forEach((number, index) => {
      if (numbers.indexOf(number) !== index) refuse('fds', fd.pid, `task ${fd.pid} epoll fd ${fd.fd} watches the file of fd ${number} twice, once under a number since closed: it cannot be registered twice under one number`);
    });
    // id named the epoll in CRIU's older, separate eventpoll-tfd.img; inside the entry CRIU 4.x leaves it 0
    const tfd: MessageValue[] = targets.map((t, i) => ({ id: 0, tfd: numbers[i], events: t.events, data: t.data, dev: t.dev, inode: t.inode, pos: t.pos }));
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
 * The fd number to register `target` under at restore: its own while that fd still holds the
 * registered file, else another fd of the task holding it. kcmp(KCMP_EPOLL_TFD) compares a fd of the
 * task with the epoll's target (run here: root may compare any two tasks' files).
 */
function numberOf(fd: OpenFd, target: EpollTarget, toff: number): number {
  const r = sameFile(fd, target, toff, target.tfd);
  if (r === 0) return target.tfd;
  const where = `task ${fd.pid} epoll fd ${fd.fd} watches fd ${target.tfd} (inode ${target.inode})`;
  if (r === -ENOENT) refuse('fds', fd.pid, `${where}, which kcmp cannot find in the epoll`);
  if (r !== -EBADF && r <= 0) refuse('fds', fd.pid, `${where}: kcmp(KCMP_EPOLL_TFD) failed: ${errnoName(-r)}`);
  for (const name of readdirSync(`/proc/${fd.pid}/fd`)) {
    const other = Number(name);
    if (other !== target.tfd && sameFile(fd, target, toff, other) === 0) return other;
  }
  const now = r === -EBADF ? 'the task has closed that fd' : 'that fd now holds another file';
  return refuse('fds', fd.pid, `${where}, but ${now} and holds the registered file under no other fd: its file is out of reach of the restore`);
}

/** kcmp of fd `other` of the task with the epoll's target: 0 if they are the same file. */
function sameFile(fd: OpenFd, target: EpollTarget, toff: number, other: number): number {
  const nr = hostArch().syscalls;
  // struct kcmp_epoll_slot { __u32 efd, tfd, toff; }
  const slot = kbuf(12);
  slot.writeUInt32LE(fd.fd, 0);
  slot.writeUInt32LE(target.tfd, 4);
  slot.writeUInt32LE(toff, 8);
  const r = sys(nr.kcmp, fd.pid, fd.pid, KCMP_EPOLL_TFD, other, addressOf(slot));
  keepAlive(slot);
  return r;
}
