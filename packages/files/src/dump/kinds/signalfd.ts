import { refuse } from '@criu-ts/subsystem';
import type { FdDumper } from '../fd-dumper.js';
import { FD_TYPES } from '../file-table.js';
import { readFown } from '../fown.js';
import { fdinfoField } from '../open-fd.js';

/**
 * signalfds: the set of signals each accepts (fdinfo `sigmask:`, bit n-1 for signal n) and the file
 * flags. The signals themselves are not the signalfd's: they stay queued on the task that reads it,
 * and are dumped with that task's pending signals.
 */
export const signalfds: FdDumper = {
  name: 'signalfd',
  type: FD_TYPES.SIGNALFD,
  field: 'sgfd',
  claims: (fd) => fd.target === 'anon_inode:[signalfd]',
  // every signalfd shares one anonymous inode: kcmp tells instances apart
  key: (fd) => `signalfd:${fd.flags}:${fdinfoField(fd.fdinfo, 'sigmask')}`,
  entry(fd, id) {
    const mask = fdinfoField(fd.fdinfo, 'sigmask');
    if (mask === undefined || !/^[0-9a-f]+$/.test(mask)) refuse('fds', fd.pid, `task ${fd.pid} fd ${fd.fd} (signalfd): no sigmask in /proc/${fd.pid}/fdinfo/${fd.fd}`);
    return { id, flags: fd.flags, fown: readFown(fd), sigmask: BigInt(`0x${mask}`) };
  },
};
