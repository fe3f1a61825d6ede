import type { MessageValue } from '@criu-ts/images';
import { addressOf, hostArch, kbuf, keepAlive, sys } from '@criu-ts/ptrace';
import { type DumpRemote, refuse } from '@criu-ts/subsystem';
import { TCGETS, TIOCGEXCL, TIOCGLCKTRMIOS, TIOCGPGRP, TIOCGPKT, TIOCGPTLCK, TIOCGSID, TIOCGWINSZ } from '../tty/ioctls.js';
import { TERMIOS_SIZE, termiosEntry, WINSIZE_SIZE, winsizeEntry } from '../tty/termios.js';
import type { OpenFd } from './open-fd.js';
import { withStolenFd } from './stolen-fd.js';

const TTY_TYPE_PTY = 1;
const TTY_TYPE_EXT_TTY = 5;
const ENOTTY = 25;

/**
 * The tty_info entry `id` of side of pty number `index` (or, `index` undefined, of a terminal marked
 * --external), read through fd `fd.fd` of its task.
 * Session, foreground group and the exclusive, packet and lock states are asked by the task itself:
 * the kernel answers TIOCGSID and TIOCGPGRP on a slave only to a process whose controlling terminal
 * it is (an ENOTTY reads as 0, "none", as CRIU does). Termios, locked termios and the window size
 * are read here, on a copy of the fd.
 */
export function readTtyInfo(fd: OpenFd, id: number, index: number | undefined, remote: DumpRemote): MessageValue {
  const ask = (request: number): number => {
    const out = remote.scratch(fd.pid);
    remote.write(fd.pid, out, new Uint8Array(4));
    const r = remote.callRaw(fd.pid, 'ioctl', [fd.fd, request, out]);
    if (r === BigInt(-ENOTTY)) return 0;
    if (r < 0n) refuse('fds', fd.pid, `task ${fd.pid} fd ${fd.fd} (${fd.target}): ioctl ${request.toString(16)} failed: errno ${-r}, a pty whose other side is gone cannot be dumped yet`);
    return Buffer.from(remote.read(fd.pid, out, 4)).readInt32LE(0);
  };
  const pty = index !== undefined;
  // locked and packet mode are a pty's only
  const info: MessageValue = {
    id,
    type: pty ? TTY_TYPE_PTY : TTY_TYPE_EXT_TTY,
    locked: pty && ask(TIOCGPTLCK) !== 0,
    exclusive: ask(TIOCGEXCL) !== 0,
    packet_mode: pty && ask(TIOCGPKT) !== 0,
    sid: ask(TIOCGSID),
    pgrp: ask(TIOCGPGRP),
    rdev: Number(fd.st.rdev),
  };
  const nr = hostArch().syscalls;
  withStolenFd(fd.pid, fd.fd, (local) => {
    const get = (request: number, size: number): Uint8Array => {
      const buf = kbuf(size);
      const r = sys(nr.ioctl, local, request, addressOf(buf));
      keepAlive(buf);
      if (r < 0) refuse('fds', fd.pid, `task ${fd.pid} fd ${fd.fd} (${fd.target}): cannot read its terminal settings (ioctl ${request.toString(16)}): errno ${-r}`);
      return new Uint8Array(buf);
    };
    info.termios = termiosEntry(get(TCGETS, TERMIOS_SIZE));
    info.termios_locked = termiosEntry(get(TIOCGLCKTRMIOS, TERMIOS_SIZE));
    info.winsize = winsizeEntry(get(TIOCGWINSZ, WINSIZE_SIZE));
  });
  if (pty) info.pty = { index };
  info.dev = Number(fd.st.dev);
  info.uid = Number(fd.st.uid);
  info.gid = Number(fd.st.gid);
  return info;
}
