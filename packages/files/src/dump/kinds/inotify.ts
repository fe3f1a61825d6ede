import type { MessageValue } from '@criu-ts/images';
import { refuse } from '@criu-ts/subsystem';
import type { FdDumper } from '../fd-dumper.js';
import { FD_TYPES } from '../file-table.js';
import { readFown } from '../fown.js';
import type { OpenFd } from '../open-fd.js';
import { lineFields, watchedInode } from '../watched-inode.js';

/**
 * inotify instances: every watch with its wd, its mask and the watched inode (number, device, file
 * handle), from fdinfo's `inotify wd:...` lines, in CRIU's inotify_file_entry. Events queued but not
 * read yet are not kept (CRIU drops them too).
 */
export const inotifies: FdDumper = {
  name: 'inotify',
  type: FD_TYPES.INOTIFY,
  field: 'ify',
  claims: (fd) => fd.target === 'anon_inode:inotify',
  // every inotify instance shares one anonymous inode: kcmp tells apart those with equal watches
  key: (fd) => `inotify:${fd.flags}:${watchLines(fd).join('|')}`,
  entry(fd, id) {
    const wd = watchLines(fd).map((line) => watch(fd, id, line));
    return { id, flags: fd.flags, fown: readFown(fd), wd };
  },
};

function watchLines(fd: OpenFd): string[] {
  return fd.fdinfo.split('\n').filter((line) => line.startsWith('inotify '));
}

/** One `inotify wd:%x ino:%lx sdev:%x mask:%x ignored_mask:%x fhandle-bytes:%x fhandle-type:%x f_handle:%s` line. */
function watch(fd: OpenFd, id: number, line: string): MessageValue {
  const f = lineFields(line);
  if (f.wd === undefined || f.ino === undefined || f.sdev === undefined || f.mask === undefined) {
    refuse('fds', fd.pid, `task ${fd.pid} fd ${fd.fd} (inotify): cannot read the watch "${line}" in its fdinfo`);
  }
  const wd = parseInt(f.wd, 16);
  return {
    id,
    i_ino: BigInt(`0x${f.ino}`),
    mask: parseInt(f.mask, 16),
    ignored_mask: parseInt(f.ignored_mask ?? '0', 16),
    s_dev: parseInt(f.sdev, 16),
    wd,
    f_handle: watchedInode(fd, `inotify watch ${wd}`, f),
  };
}
