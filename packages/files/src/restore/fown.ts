import type { MessageValue } from '@criu-ts/images';
import { addressOf, hostArch, kbuf, keepAlive, sys } from '@criu-ts/ptrace';
import { RestoreFault } from '@criu-ts/subsystem';

const F_SETSIG = 10;
const F_SETOWN_EX = 15;

/**
 * Gives our open file `fd` (named `what` in errors) its owner and SIGIO signal again. The owner is
 * set with the uid and euid it was set with (F_SETOWN_EX records the caller's), which decide whether
 * the owner may be sent the signal: as CRIU does, this thread takes them for the one call. The raw
 * setresuid changes this thread only, and the saved uid (root) lets it change back.
 */
export function restoreFown(fd: number, fown: MessageValue | undefined, what: string): void {
  if (!fown) return;
  const nr = hostArch().syscalls;
  const signum = Number(fown.signum ?? 0);
  if (signum !== 0) {
    const r = sys(nr.fcntl, fd, F_SETSIG, signum);
    if (r < 0) throw new RestoreFault('files', `cannot set signal ${signum} as the SIGIO signal of ${what}: errno ${-r}`);
  }
  const pid = Number(fown.pid ?? 0);
  if (pid === 0) return;
  const owner = kbuf(8);
  owner.writeInt32LE(Number(fown.pid_type ?? 0), 0);
  owner.writeInt32LE(pid, 4);
  const uid = Number(fown.uid ?? 0);
  const euid = Number(fown.euid ?? 0);
  const [myUid, myEuid] = [process.getuid!(), process.geteuid!()];
  const switchIds = uid !== myUid || euid !== myEuid;
  if (switchIds) {
    const s = sys(nr.setresuid, uid, euid, -1);
    if (s < 0) throw new RestoreFault('files', `cannot take uid ${uid}/${euid} to give ${what} its owner: errno ${-s}`);
  }
  let r: number;
  try {
    r = sys(nr.fcntl, fd, F_SETOWN_EX, addressOf(owner));
    keepAlive(owner);
  } finally {
    if (switchIds) sys(nr.setresuid, myUid, myEuid, -1);
  }
  if (r < 0) throw new RestoreFault('files', `cannot make ${fown.pid_type === 0 ? 'thread' : fown.pid_type === 2 ? 'process group' : 'process'} ${pid} the owner of ${what}: errno ${-r}`);
}
