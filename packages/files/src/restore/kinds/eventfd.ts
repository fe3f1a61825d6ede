import type { MessageValue } from '@criu-ts/images';
import { addressOf, hostArch, kbuf, sys } from '@criu-ts/ptrace';
import { RestoreFault } from '@criu-ts/subsystem';
import type { FdRestorer } from '../fd-restorer.js';

const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;
/** Semaphore mode, in bit 0 of the entry's flags (see the dump half). */
const SEMAPHORE_FLAG = 1;
const EFD_SEMAPHORE = 1;

/** An eventfd with its counter, flags and semaphore mode. */
export const eventfds: FdRestorer = {
  field: 'efd',
  open(efd: MessageValue) {
    const nr = hostArch().syscalls;
    const flags = Number(efd.flags);
    const fd = sys(nr.eventfd2, 0, O_CLOEXEC | (flags & O_NONBLOCK) | (flags & SEMAPHORE_FLAG ? EFD_SEMAPHORE : 0));
    if (fd < 0) throw new RestoreFault('files', `eventfd2 failed: errno ${-fd}`);
    const counter = BigInt(efd.counter as bigint);
    if (counter > 0n) {
      // the counter goes in with write(2): eventfd2's initial value is only 32 bits wide
      const value = kbuf(8);
      value.writeBigUInt64LE(counter);
      const n = sys(nr.write, fd, addressOf(value), 8);
      if (n !== 8) {
        sys(nr.close, fd);
        throw new RestoreFault('files', `cannot set an eventfd's counter to ${counter}: errno ${-n}`);
      }
    }
    return fd;
  },
};
