import type { MessageValue } from '@criu-ts/images';
import { addressOf, hostArch, kbuf, keepAlive, sys } from '@criu-ts/ptrace';
import { refuse } from '@criu-ts/subsystem';
import { NO_OWNER } from './file-table.js';
import type { OpenFd } from './open-fd.js';
import { withStolenFd } from './stolen-fd.js';

const O_PATH = 0o10000000;
const F_GETSIG = 11;
const F_GETOWN_EX = 16;
const F_GETOWNER_UIDS = 1041;

/**
 * The fown_entry of an open file: who gets SIGIO/SIGURG for it (F_GETOWN_EX) and which signal
 * (F_GETSIG), read on a copy of the fd (the owner belongs to the open file description, which the
 * copy shares). The owner's uid and euid (F_GETOWNER_UIDS) decide whether the signal may be sent.
 */
export function readFown(fd: OpenFd): MessageValue {
  // an O_PATH file has no owner (fcntl refuses to look)
  if (fd.flags & O_PATH) return NO_OWNER;
  const nr = hostArch().syscalls;
  return withStolenFd(fd.pid, fd.fd, (local): MessageValue => {
    const signum = sys(nr.fcntl, local, F_GETSIG, 0);
    const owner = kbuf(8);
    const r = sys(nr.fcntl, local, F_GETOWN_EX, addressOf(owner));
    keepAlive(owner);
    if (signum < 0 || r < 0) return refuse('fds', fd.pid, `cannot read the owner of fd ${fd.fd} of task ${fd.pid} (${fd.target}): errno ${-(r < 0 ? r : signum)}`);
    const pid = owner.readInt32LE(4);
    if (pid === 0) return { ...NO_OWNER, signum };
    const uids = kbuf(8);
    // the kernel has F_GETOWNER_UIDS only with CONFIG_CHECKPOINT_RESTORE: without it the owner is root's
    const u = sys(nr.fcntl, local, F_GETOWNER_UIDS, addressOf(uids));
    keepAlive(uids);
    return { uid: u < 0 ? 0 : uids.readUInt32LE(0), euid: u < 0 ? 0 : uids.readUInt32LE(4), signum, pid_type: owner.readInt32LE(0), pid };
  });
}
