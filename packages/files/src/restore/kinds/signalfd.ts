import type { MessageValue } from '@criu-ts/images';
import { addressOf, errnoName, hostArch, kbuf, keepAlive, sys } from '@criu-ts/ptrace';
import { RestoreFault } from '@criu-ts/subsystem';
import type { FdRestorer } from '../fd-restorer.js';
import { restoreFown } from '../fown.js';

const SFD_NONBLOCK = 0o4000;
const SFD_CLOEXEC = 0o2000000;

/**
 * A signalfd with its signal set. It holds no signals of its own (a read takes them from the
 * reading task's queue, restored with the task), so it can be made here and passed in.
 */
export const signalfds: FdRestorer = {
  field: 'sgfd',
  open(sgfd: MessageValue) {
    const nr = hostArch().syscalls;
    // sigset_t as the kernel takes it: 8 bytes, bit n-1 for signal n
    const mask = kbuf(8);
    mask.writeBigUInt64LE(BigInt.asUintN(64, BigInt(sgfd.sigmask as bigint)));
    const fd = sys(nr.signalfd4, -1, addressOf(mask), 8, SFD_CLOEXEC | (Number(sgfd.flags) & SFD_NONBLOCK));
    keepAlive(mask);
    if (fd < 0) throw new RestoreFault('files', `signalfd4 failed for signalfd ${String(sgfd.id)} (mask 0x${BigInt(sgfd.sigmask as bigint).toString(16)}): ${errnoName(-fd)}`);
    try {
      restoreFown(fd, sgfd.fown as MessageValue | undefined, `signalfd ${String(sgfd.id)}`);
    } catch (e) {
      sys(nr.close, fd);
      throw e;
    }
    return fd;
  },
};
