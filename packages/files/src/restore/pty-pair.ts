import type { MessageValue } from '@criu-ts/images';
import { addressOf, hostArch, kbuf, keepAlive, sys } from '@criu-ts/ptrace';
import { RestoreFault } from '@criu-ts/subsystem';
import { cString } from '../c-string.js';
import { TCSETS, TIOCGLCKTRMIOS, TIOCGPTN, TIOCGPTPEER, TIOCPKT, TIOCSLCKTRMIOS, TIOCSPTLCK, TIOCSWINSZ } from '../tty/ioctls.js';
import { TERMIOS_SIZE, termiosBytes, winsizeBytes } from '../tty/termios.js';

const AT_FDCWD = -100;
const O_RDWR = 2;
const O_CREAT = 0o100;
const O_EXCL = 0o200;
const O_NOCTTY = 0o400;
const O_TRUNC = 0o1000;
const O_CLOEXEC = 0o2000000;
const EPERM = 1;

/** What the images say of one pty: its master's path and flags, its tty_info entries, its queued bytes. */
export interface PtyPlan {
  /** The index it had at dump time, for messages. */
  readonly dumpedIndex: number;
  readonly path: string;
  readonly flags: number;
  readonly master: MessageValue;
  readonly slave?: MessageValue;
  /** Bytes the slave had still to read, and the master. */
  readonly input?: Uint8Array;
  readonly output?: Uint8Array;
}

/** A pty made again: our fd of its master and the index the kernel gave it. */
export interface MadePty {
  readonly master: number;
  readonly index: number;
}

/**
 * Opens a new pty (the kernel picks its index, which may differ from the dumped one) and gives it
 * its settings: termios, locked termios and window size (termios ioctls on a master act on its
 * slave, which holds them), packet mode, the slave's owner, and the queued bytes: the input goes in
 * through the master, the output through the slave. It stays unlocked until `lockPty`, so its slave
 * can be opened meanwhile.
 */
export function makePty(plan: PtyPlan): MadePty {
  const nr = hostArch().syscalls;
  const name = cString(plan.path);
  const flags = (plan.flags & ~(O_CREAT | O_EXCL | O_TRUNC)) | O_NOCTTY | O_CLOEXEC;
  const master = sys(nr.openat, AT_FDCWD, addressOf(name), flags, 0);
  keepAlive(name);
  if (master < 0) throw new RestoreFault('files', `cannot open ${plan.path} for pty ${plan.dumpedIndex}: errno ${-master}`);
  try {
    ioctlInt(master, TIOCSPTLCK, 0, plan, 'unlock the new pty');
    const index = readInt(master, TIOCGPTN, plan);
    const settings = plan.slave?.termios ? plan.slave : plan.master;
    setSettings(master, settings, `pty ${plan.dumpedIndex}`);
    if (plan.master.packet_mode) ioctlInt(master, TIOCPKT, 1, plan, 'set packet mode');
    if (plan.slave?.uid !== undefined || plan.input?.length || plan.output?.length) {
      const slave = openPtySlave(master, O_RDWR, plan);
      try {
        if (plan.slave?.uid !== undefined) {
          const r = sys(nr.fchown, slave, Number(plan.slave.uid), Number(plan.slave.gid));
          if (r < 0) throw new RestoreFault('files', `cannot give the slave of pty ${plan.dumpedIndex} its owner ${plan.slave.uid}:${plan.slave.gid}: errno ${-r}`);
        }
        if (plan.input?.length) writeAll(master, plan.input, plan, 'input');
        if (plan.output?.length) writeAll(slave, plan.output, plan, 'output');
      } finally {
        sys(nr.close, slave);
      }
    }
    return { master, index };
  } catch (e) {
    sys(nr.close, master);
    throw e;
  }
}

/** A new open file description of the slave of `master`, with the dumped status flags. */
export function openPtySlave(master: number, flags: number, plan: { dumpedIndex: number }): number {
  const fd = sys(hostArch().syscalls.ioctl, master, TIOCGPTPEER, (flags & ~(O_CREAT | O_EXCL | O_TRUNC)) | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) throw new RestoreFault('files', `cannot open the slave of pty ${plan.dumpedIndex}: errno ${-fd}`);
  return fd;
}

/** Locks the pty again (no new opens of its slave), once every slave the tree held is open. */
export function lockPty(master: number, plan: { dumpedIndex: number }): void {
  ioctlInt(master, TIOCSPTLCK, 1, plan, 'lock the pty');
}

/** Termios (the locked ones first: they constrain the others) and window size, as CRIU restores them. */
export function setSettings(fd: number, info: MessageValue, what: string): void {
  const nr = hostArch().syscalls;
  const set = (request: number, bytes: Buffer | undefined, setting: string): number => {
    if (!bytes) return 0;
    const buf = kbuf(bytes.length);
    buf.set(bytes);
    const r = sys(nr.ioctl, fd, request, addressOf(buf));
    keepAlive(buf);
    if (r < 0 && !(request === TIOCSLCKTRMIOS && r === -EPERM)) throw new RestoreFault('files', `cannot set the ${setting} of ${what}: errno ${-r}`);
    return r;
  };
  const locked = info.termios_locked ? termiosBytes(info.termios_locked as MessageValue) : undefined;
  // without CAP_SYS_ADMIN the locked termios can only be left as they are: fine when they are the same
  if (set(TIOCSLCKTRMIOS, locked, 'locked termios') === -EPERM) {
    const now = kbuf(TERMIOS_SIZE);
    const r = sys(nr.ioctl, fd, TIOCGLCKTRMIOS, addressOf(now));
    keepAlive(now);
    if (r < 0 || !now.equals(locked!)) throw new RestoreFault('files', `cannot set the locked termios of ${what}: not permitted`);
  }
  set(TCSETS, info.termios ? termiosBytes(info.termios as MessageValue) : undefined, 'termios');
  set(TIOCSWINSZ, info.winsize ? winsizeBytes(info.winsize as MessageValue) : undefined, 'window size');
}

function ioctlInt(fd: number, request: number, value: number, plan: { dumpedIndex: number }, what: string): void {
  const buf = kbuf(4);
  buf.writeInt32LE(value);
  const r = sys(hostArch().syscalls.ioctl, fd, request, addressOf(buf));
  keepAlive(buf);
  if (r < 0) throw new RestoreFault('files', `cannot ${what} (pty ${plan.dumpedIndex}): errno ${-r}`);
}

function readInt(fd: number, request: number, plan: { dumpedIndex: number }): number {
  const buf = kbuf(4);
  const r = sys(hostArch().syscalls.ioctl, fd, request, addressOf(buf));
  keepAlive(buf);
  if (r < 0) throw new RestoreFault('files', `cannot read the index of the new pty for pty ${plan.dumpedIndex}: errno ${-r}`);
  return buf.readInt32LE(0);
}

function writeAll(fd: number, data: Uint8Array, plan: { dumpedIndex: number }, what: string): void {
  const bytes = kbuf(data.length);
  bytes.set(data);
  let done = 0;
  while (done < bytes.length) {
    const n = sys(hostArch().syscalls.write, fd, addressOf(bytes) + BigInt(done), bytes.length - done);
    if (n <= 0) throw new RestoreFault('files', `cannot queue the ${bytes.length} bytes of ${what} of pty ${plan.dumpedIndex} again: errno ${-n}`);
    done += n;
  }
  keepAlive(bytes);
}
