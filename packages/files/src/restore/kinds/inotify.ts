import type { MessageValue } from '@criu-ts/images';
import { addressOf, errnoName, hostArch, kbuf, keepAlive, sys } from '@criu-ts/ptrace';
import { RestoreFault, type RestorePlan } from '@criu-ts/subsystem';
import type { FdRestorer } from '../fd-restorer.js';
import type { RemappedFiles } from '../remapped-files.js';
import { restoreFown } from '../fown.js';
import { openWatched } from '../watched-inode.js';

const O_NONBLOCK = 0o4000;
const IN_CLOEXEC = 0o2000000;
/** The event bits, and the two flags fdinfo shows of a watch (IN_EXCL_UNLINK, IN_ONESHOT). */
const WATCH_MASK = 0xfff | 0x04000000 | 0x80000000;
/** _IOW('I', 0, __s32): the wd the next watch gets (a checkpoint/restore ioctl, CONFIG_CHECKPOINT_RESTORE). */
const INOTIFY_IOC_SETNEXTWD = 0x40044900;
const FIONREAD = 0x541b;
const ENOTTY = 25;
/** Without INOTIFY_IOC_SETNEXTWD, at most this many throwaway watches are made to reach a wd. */
const MAX_SKIPPED = 1 << 16;

/**
 * inotify instances, made here with every watch on the inode it was on (found by file handle, or the
 * ghost the restore made of it when it was a deleted file still open) and with the wd it had:
 * INOTIFY_IOC_SETNEXTWD names the wd the next watch gets. Where the kernel lacks it, wds are handed
 * out in increasing order, so the watch is added and removed until it lands on its number, and the
 * IN_IGNORED events that leaves are read away before any task gets the instance.
 */
export function inotifies(remaps: RemappedFiles): FdRestorer {
  return {
    field: 'ify',
    open: (ify: MessageValue, plan: RestorePlan) => openInotify(ify, plan, remaps),
  };
}

function openInotify(ify: MessageValue, plan: RestorePlan, remaps: RemappedFiles): number {
  const nr = hostArch().syscalls;
  const id = Number(ify.id);
  const fd = sys(nr.inotify_init1, IN_CLOEXEC | (Number(ify.flags) & O_NONBLOCK));
  if (fd < 0) throw new RestoreFault('files', `inotify ${id}: inotify_init1 failed: ${errnoName(-fd)}`);
  try {
    const watches = [...((ify.wd ?? []) as MessageValue[])].sort((a, b) => Number(a.wd) - Number(b.wd));
    let skipped = false;
    for (const watch of watches) skipped = addWatch(fd, id, watch, remaps, plan) || skipped;
    if (skipped) drain(fd, id);
    restoreFown(fd, ify.fown as MessageValue | undefined, `inotify ${id}`);
  } catch (error) {
    sys(nr.close, fd);
    throw error;
  }
  return fd;
}

/** Adds one watch with its wd; whether throwaway watches were needed to reach it. */
function addWatch(fd: number, id: number, watch: MessageValue, remaps: RemappedFiles, plan: RestorePlan): boolean {
  const nr = hostArch().syscalls;
  const wd = Number(watch.wd);
  const what = `inotify ${id} watch ${wd}`;
  const target = openWatched(what, Number(watch.s_dev), BigInt(watch.i_ino as bigint), watch.f_handle as MessageValue, remaps, plan);
  const path = kbuf(32);
  // the /proc link leads inotify to the inode itself
  path.write(`/proc/self/fd/${target}\0`);
  const mask = Number(watch.mask) & WATCH_MASK;
  try {
    const set = sys(nr.ioctl, fd, INOTIFY_IOC_SETNEXTWD, wd);
    if (set < 0 && set !== -ENOTTY) throw new RestoreFault('files', `${what}: INOTIFY_IOC_SETNEXTWD failed: ${errnoName(-set)}`);
    for (let tries = 0; tries <= MAX_SKIPPED; tries++) {
      const got = sys(nr.inotify_add_watch, fd, addressOf(path), mask);
      keepAlive(path);
      if (got < 0) throw new RestoreFault('files', `${what}: inotify_add_watch failed: ${errnoName(-got)}`);
      if (got === wd) return tries > 0;
      if (got > wd || set === 0) throw new RestoreFault('files', `${what}: the kernel gave wd ${got} (watches restored in wd order, ${wd} was already passed)`);
      sys(nr.inotify_rm_watch, fd, got);
    }
    throw new RestoreFault('files', `${what}: more than ${MAX_SKIPPED} watches would have to be made and removed to reach wd ${wd}, and the kernel has no INOTIFY_IOC_SETNEXTWD`);
  } finally {
    sys(nr.close, target);
  }
}

/** Reads away the events queued while the watches were set up (the IN_IGNORED of throwaway watches). */
function drain(fd: number, id: number): void {
  const nr = hostArch().syscalls;
  const size = kbuf(4);
  const r = sys(nr.ioctl, fd, FIONREAD, addressOf(size));
  keepAlive(size);
  const queued = r < 0 ? 0 : size.readUInt32LE(0);
  if (queued === 0) return;
  const events = kbuf(queued);
  const n = sys(nr.read, fd, addressOf(events), queued);
  keepAlive(events);
  if (n < 0) throw new RestoreFault('files', `inotify ${id}: cannot read away the events of throwaway watches: ${errnoName(-n)}`);
}
