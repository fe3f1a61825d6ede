import type { MessageValue } from '@criu-ts/images';
import { refuse } from '@criu-ts/subsystem';
import type { FdDumper } from '../fd-dumper.js';
import { FD_TYPES } from '../file-table.js';
import { readFown } from '../fown.js';
import { readMounts } from '../../mountinfo.js';
import type { OpenFd } from '../open-fd.js';
import { lineFields, watchedInode } from '../watched-inode.js';

/** fsnotify.proto's mark_type. */
const MARK_INODE = 1;
const MARK_MOUNT = 2;

/**
 * fanotify groups: the fanotify_init flags and event flags, and every inode mark (with the inode's
 * file handle) and mount mark (with the mount's id and mount point), from fdinfo's `fanotify ...`
 * lines, in CRIU's fanotify_file_entry. Filesystem marks (FAN_MARK_FILESYSTEM) and any other kind of
 * mark are refused by name. Events queued but not read yet, and permission events not answered yet,
 * are not kept (CRIU drops them too).
 */
export const fanotifies: FdDumper = {
  name: 'fanotify',
  type: FD_TYPES.FANOTIFY,
  field: 'ffy',
  claims(fd) {
    if (fd.target !== 'anon_inode:[fanotify]') return false;
    for (const line of markLines(fd)) markKind(fd, line);
    return true;
  },
  // every fanotify group shares one anonymous inode: kcmp tells apart those with equal marks
  key: (fd) => `fanotify:${fd.flags}:${fd.fdinfo.split('\n').filter((l) => l.startsWith('fanotify ')).join('|')}`,
  entry(fd, id) {
    const head = lineFields(fd.fdinfo.split('\n').find((l) => l.startsWith('fanotify flags:')) ?? '');
    if (head.flags === undefined || head['event-flags'] === undefined) refuse('fds', fd.pid, `task ${fd.pid} fd ${fd.fd} (fanotify): no "fanotify flags" line in its fdinfo`);
    const mark = markLines(fd).map((line) => (markKind(fd, line) === MARK_INODE ? inodeMark(fd, id, line) : mountMark(fd, id, line)));
    return { id, flags: fd.flags, fown: readFown(fd), faflags: parseInt(head.flags, 16), evflags: parseInt(head['event-flags'], 16), mark };
  },
};

function markLines(fd: OpenFd): string[] {
  return fd.fdinfo.split('\n').filter((line) => line.startsWith('fanotify ') && !line.startsWith('fanotify flags:'));
}

/** INODE for `fanotify ino:...`, MOUNT for `fanotify mnt_id:...`; anything else is refused. */
function markKind(fd: OpenFd, line: string): number {
  if (line.startsWith('fanotify ino:')) return MARK_INODE;
  if (line.startsWith('fanotify mnt_id:')) return MARK_MOUNT;
  const what = line.startsWith('fanotify sdev:') ? `a filesystem mark (FAN_MARK_FILESYSTEM) on device ${lineFields(line).sdev}` : `the mark "${line.trim()}"`;
  return refuse('fds', fd.pid, `task ${fd.pid} fd ${fd.fd} is a fanotify group with ${what}: such marks cannot be dumped yet`);
}

/** `fanotify ino:%lx sdev:%x mflags:%x mask:%x ignored_mask:%x fhandle-bytes:%x fhandle-type:%x f_handle:%s` */
function inodeMark(fd: OpenFd, id: number, line: string): MessageValue {
  const f = lineFields(line);
  return {
    id,
    type: MARK_INODE,
    mflags: parseInt(f.mflags, 16),
    mask: parseInt(f.mask, 16),
    ignored_mask: parseInt(f.ignored_mask, 16),
    s_dev: parseInt(f.sdev, 16),
    ie: { i_ino: BigInt(`0x${f.ino}`), f_handle: watchedInode(fd, `fanotify mark on inode 0x${f.ino}`, f) },
  };
}

/** `fanotify mnt_id:%x mflags:%x mask:%x ignored_mask:%x`: the mount's device and mount point come from mountinfo. */
function mountMark(fd: OpenFd, id: number, line: string): MessageValue {
  const f = lineFields(line);
  const mntId = parseInt(f.mnt_id, 16);
  const mount = readMounts(fd.pid).find((m) => m.mntId === mntId);
  if (!mount) refuse('fds', fd.pid, `task ${fd.pid} fd ${fd.fd} (fanotify) marks mount ${mntId}, which is not in its mountinfo`);
  const [major, minor] = mount.dev.split(':').map(Number);
  return {
    id,
    type: MARK_MOUNT,
    mflags: parseInt(f.mflags, 16),
    mask: parseInt(f.mask, 16),
    ignored_mask: parseInt(f.ignored_mask, 16),
    // the kernel's dev_t, as the inode marks print it
    s_dev: ((major << 20) | minor) >>> 0,
    // the mount point without its leading slash, as CRIU writes it
    me: { mnt_id: mntId, path: mount.mountPoint.slice(1) },
  };
}

