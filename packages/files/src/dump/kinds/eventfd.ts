import { refuse } from '@criu-ts/subsystem';
import type { FdDumper } from '../fd-dumper.js';
import { FD_TYPES, NO_OWNER } from '../file-table.js';
import { fdinfoField } from '../open-fd.js';

/** EFD_SEMAPHORE, kept in bit 0 of the entry's flags: see below. */
export const EVENTFD_SEMAPHORE_FLAG = 1;

/**
 * eventfds: the counter (fdinfo prints it in hex) and the flags. CRIU's entry has no place for
 * semaphore mode (CRIU loses it); it goes in bit 0 of `flags` (O_WRONLY), which an eventfd's file
 * flags never have (they are always O_RDWR): CRIU ignores the access mode when it sets the flags
 * back, so its restore of such an image is what it always was.
 */
export const eventfds: FdDumper = {
  name: 'eventfd',
  type: FD_TYPES.EVENTFD,
  field: 'efd',
  claims(fd) {
    return fd.target === 'anon_inode:[eventfd]';
  },
  key: (fd) => `eventfd:${fdinfoField(fd.fdinfo, 'eventfd-id') ?? fd.st.ino}:${fd.flags}`,
  entry(fd, id) {
    const count = fdinfoField(fd.fdinfo, 'eventfd-count');
    if (count === undefined) refuse('fds', fd.pid, `no eventfd-count in /proc/${fd.pid}/fdinfo/${fd.fd}`);
    const semaphore = fdinfoField(fd.fdinfo, 'eventfd-semaphore') === '1' ? EVENTFD_SEMAPHORE_FLAG : 0;
    return { id, flags: fd.flags | semaphore, fown: NO_OWNER, counter: BigInt(`0x${count}`) };
  },
};
