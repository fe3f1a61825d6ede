import { refuse } from '@criu-ts/subsystem';
import type { FdDumper } from '../fd-dumper.js';
import { FD_TYPES, NO_OWNER } from '../file-table.js';
import { fdinfoField } from '../open-fd.js';

/** eventfds: the counter (fdinfo prints it in hex) and the flags; semaphore mode is refused for now. */
export const eventfds: FdDumper = {
  name: 'eventfd',
  type: FD_TYPES.EVENTFD,
  field: 'efd',
  claims(fd) {
    if (fd.target !== 'anon_inode:[eventfd]') return false;
    if (fdinfoField(fd.fdinfo, 'eventfd-semaphore') === '1') refuse('fds', fd.pid, `task ${fd.pid} fd ${fd.fd} is an eventfd in semaphore mode, which cannot be dumped yet`);
    return true;
  },
  key: (fd) => `eventfd:${fdinfoField(fd.fdinfo, 'eventfd-id') ?? fd.st.ino}:${fd.flags}`,
  entry(fd, id) {
    const count = fdinfoField(fd.fdinfo, 'eventfd-count');
    if (count === undefined) refuse('fds', fd.pid, `no eventfd-count in /proc/${fd.pid}/fdinfo/${fd.fd}`);
    return { id, flags: fd.flags, fown: NO_OWNER, counter: BigInt(`0x${count}`) };
  },
};
