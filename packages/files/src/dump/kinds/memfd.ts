import { refuse } from '@criu-ts/subsystem';
import type { FdDumper } from '../fd-dumper.js';
import { FD_TYPES } from '../file-table.js';
import { readFown } from '../fown.js';

/**
 * memfds: MEMFD entries with the open file's flags and offset, naming an inode of memfd.img. The
 * inode (name, size, owner, mode, seals) and its pages are the tree's shared memory object, kept by
 * the shmem table with the mappings of it: a memfd both open and mapped is dumped once, as one object.
 */
export const memfds: FdDumper = {
  name: 'memfd',
  type: FD_TYPES.MEMFD,
  field: 'memfd',
  // /proc shows a memfd as the deleted file /memfd:NAME
  claims: (fd) => fd.target.startsWith('/memfd:') && fd.target.endsWith(' (deleted)'),
  key: (fd) => `memfd:${fd.st.dev}:${fd.st.ino}:${fd.flags}:${fd.pos}`,
  entry(fd, id, ctx) {
    if (!ctx.shmem) refuse('fds', fd.pid, `task ${fd.pid} fd ${fd.fd} is the memfd ${fd.target}, and this dump keeps no shared memory table to put it in`);
    const inodeId = ctx.shmem.memfdInode(fd.pid, `/proc/${fd.pid}/fd/${fd.fd}`, fd.target);
    return { id, flags: fd.flags, pos: fd.pos, fown: readFown(fd), inode_id: inodeId };
  },
};
