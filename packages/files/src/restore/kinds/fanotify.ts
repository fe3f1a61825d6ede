import type { MessageValue } from '@criu-ts/images';
import { addressOf, errnoName, hostArch, kbuf, keepAlive, sys } from '@criu-ts/ptrace';
import { RestoreFault, type RestorePlan } from '@criu-ts/subsystem';
import { openPath } from '../../file-handle.js';
import { readMounts } from '../../mountinfo.js';
import type { FdRestorer } from '../fd-restorer.js';
import type { RemappedFiles } from '../remapped-files.js';
import { restoreFown } from '../fown.js';
import { openWatched } from '../watched-inode.js';

const O_NONBLOCK = 0o4000;
const FAN_CLOEXEC = 0x1;
const FAN_NONBLOCK = 0x2;
const FAN_MARK_ADD = 0x1;
const FAN_MARK_MOUNT = 0x10;
const FAN_MARK_IGNORED_MASK = 0x20;
const FAN_MARK_IGNORED_SURV_MODIFY = 0x40;
const FAN_MARK_EVICTABLE = 0x200;
const FAN_MARK_IGNORE = 0x400;
const AT_FDCWD = -100;
/** fsnotify.proto's mark_type. */
const MARK_MOUNT = 2;

/**
 * fanotify groups, made here with their init and event flags, then every mark added again: an inode
 * mark on the inode it was on (found by file handle), a mount mark on the mount with the same id (or,
 * failing that, the mount at the same mount point). A mark's mask and its ignore mask are two
 * fanotify_mark calls, the second in the form the mark was made with (FAN_MARK_IGNORE or the older
 * FAN_MARK_IGNORED_MASK).
 */
export function fanotifies(remaps: RemappedFiles): FdRestorer {
  return {
    field: 'ffy',
    open: (ffy: MessageValue, plan: RestorePlan) => openFanotify(ffy, plan, remaps),
  };
}

function openFanotify(ffy: MessageValue, plan: RestorePlan, remaps: RemappedFiles): number {
  const nr = hostArch().syscalls;
  const id = Number(ffy.id);
  const flags = (Number(ffy.faflags) & ~(FAN_CLOEXEC | FAN_NONBLOCK)) | FAN_CLOEXEC | (Number(ffy.flags) & O_NONBLOCK ? FAN_NONBLOCK : 0);
  const fd = sys(nr.fanotify_init, flags, Number(ffy.evflags));
  if (fd < 0) throw new RestoreFault('files', `fanotify ${id}: fanotify_init(0x${flags.toString(16)}, 0x${Number(ffy.evflags).toString(16)}) failed: ${errnoName(-fd)}`);
  try {
    for (const mark of (ffy.mark ?? []) as MessageValue[]) addMark(fd, id, mark, remaps, plan);
    restoreFown(fd, ffy.fown as MessageValue | undefined, `fanotify ${id}`);
  } catch (error) {
    sys(nr.close, fd);
    throw error;
  }
  return fd;
}

function addMark(fd: number, id: number, mark: MessageValue, remaps: RemappedFiles, plan: RestorePlan): void {
  const nr = hostArch().syscalls;
  const mount = Number(mark.type) === MARK_MOUNT;
  const what = mount ? `fanotify ${id} mark on mount ${(mark.me as MessageValue).mnt_id}` : `fanotify ${id} mark on inode ${(mark.ie as MessageValue).i_ino}`;
  const target = mount ? openMount(what, mark.me as MessageValue) : openWatched(what, Number(mark.s_dev), BigInt((mark.ie as MessageValue).i_ino as bigint), (mark.ie as MessageValue).f_handle as MessageValue, remaps, plan);
  const path = kbuf(32);
  // the /proc link leads fanotify to the inode, or for a mount mark to the mount, the fd was opened on
  path.write(`/proc/self/fd/${target}\0`);
  const mflags = Number(mark.mflags);
  const common = FAN_MARK_ADD | (mount ? FAN_MARK_MOUNT : 0) | (mflags & FAN_MARK_EVICTABLE);
  const ignoreForm = mflags & FAN_MARK_IGNORE ? FAN_MARK_IGNORE : FAN_MARK_IGNORED_MASK;
  const calls: [number, number][] = [];
  if (Number(mark.mask) !== 0) calls.push([common, Number(mark.mask)]);
  if (Number(mark.ignored_mask) !== 0) calls.push([common | ignoreForm | (mflags & FAN_MARK_IGNORED_SURV_MODIFY), Number(mark.ignored_mask)]);
  try {
    for (const [flags, mask] of calls) {
      const r = sys(nr.fanotify_mark, fd, flags, mask, AT_FDCWD, addressOf(path));
      keepAlive(path);
      if (r < 0) throw new RestoreFault('files', `${what}: fanotify_mark(0x${flags.toString(16)}, 0x${mask.toString(16)}) failed: ${errnoName(-r)}`);
    }
  } finally {
    sys(nr.close, target);
  }
}

/** The mount a mount mark was on: the one with its id if it is still there, else the one at its mount point. */
function openMount(what: string, me: MessageValue): number {
  const mntId = Number(me.mnt_id);
  const mounts = readMounts('self');
  const path = mounts.find((m) => m.mntId === mntId)?.mountPoint ?? (me.path === undefined ? undefined : `/${String(me.path)}`);
  if (path === undefined) throw new RestoreFault('files', `${what}: no mount ${mntId} here, and no mount point kept`);
  const fd = openPath(path);
  if (fd < 0) throw new RestoreFault('files', `${what}: cannot open its mount point ${path}: ${errnoName(-fd)}`);
  return fd;
}
