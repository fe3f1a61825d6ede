import { addressOf, hostArch, kbuf, keepAlive, sys } from '@criu-ts/ptrace';
import { refuse } from '@criu-ts/subsystem';
import { TIOCGPKT, TIOCGPTLCK, TIOCGPTPEER, TIOCSPTLCK } from '../tty/ioctls.js';
import { withStolenFd } from './stolen-fd.js';

const O_RDWR = 2;
const O_NONBLOCK = 0o4000;
const O_NOCTTY = 0o400;
const O_CLOEXEC = 0o2000000;
const F_GETFL = 3;
const F_SETFL = 4;
const EAGAIN = 11;
const EIO = 5;
/** What a dump takes of a terminal's queue at most (CRIU's limit). */
const LIMIT = 16384;

/** One end of a pty held by the tree: task `pid`'s fd `fd`. */
export interface PtyEnd {
  readonly pid: number;
  readonly fd: number;
}

/** The bytes queued on each side of a pty pair: `input` waits for the slave to read it, `output` for the master. */
export interface PtyQueues {
  readonly input: Uint8Array;
  readonly output: Uint8Array;
}

/**
 * The bytes a pty pair holds, read (a terminal has no peek) and at once written back where they
 * came from, so the pair is as it was whatever happens to the tree next. As in CRIU, only what a
 * read returns is seen: in canonical mode a line not yet ended stays where it is, and the bytes
 * written back pass through the line discipline again (input is echoed if ECHO is on, output
 * post-processed if OPOST is).
 */
export function readPtyQueues(master: PtyEnd, slave: PtyEnd): PtyQueues {
  const nr = hostArch().syscalls;
  return withStolenFd(master.pid, master.fd, (m) => {
      // the slave is opened anew: a description of our own, non-blocking, readable whatever the task's is
      const s = openSlave(m, master);
      try {
        const flags = sys(nr.fcntl, m, F_GETFL, 0);
        if (flags < 0) return refuse('fds', master.pid, `task ${master.pid} fd ${master.fd}: F_GETFL on its pty master failed: errno ${-flags}`);
        // the master has a single description, shared with the task: non-blocking for the time of the read only
        if (!(flags & O_NONBLOCK)) sys(nr.fcntl, m, F_SETFL, flags | O_NONBLOCK);
        try {
          const input = drain(s, slave, false);
          const output = drain(m, master, packetMode(m));
          writeAll(m, input, master);
          writeAll(s, output, slave);
          if (input.length >= LIMIT || output.length >= LIMIT) refuse('fds', master.pid, `task ${master.pid} fd ${master.fd}: its pty holds ${LIMIT} bytes or more unread, more than a dump takes`);
          return { input, output };
        } finally {
          if (!(flags & O_NONBLOCK)) sys(nr.fcntl, m, F_SETFL, flags);
        }
      } finally {
        sys(nr.close, s);
      }
    });
}

/** The slave of `m`, opened through it; a locked pty is unlocked for that moment (the tree is frozen). */
function openSlave(m: number, end: PtyEnd): number {
  const nr = hostArch().syscalls;
  const value = kbuf(4);
  const setLock = (on: number) => {
    value.writeInt32LE(on);
    return sys(nr.ioctl, m, TIOCSPTLCK, addressOf(value));
  };
  const got = sys(nr.ioctl, m, TIOCGPTLCK, addressOf(value));
  const locked = got === 0 && value.readInt32LE(0) !== 0;
  if (locked) setLock(0);
  const fd = sys(nr.ioctl, m, TIOCGPTPEER, O_RDWR | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (locked) setLock(1);
  keepAlive(value);
  if (fd < 0) return refuse('fds', end.pid, `task ${end.pid} fd ${end.fd}: cannot open its pty's slave to read its queue: errno ${-fd}`);
  return fd;
}

/** A master in packet mode starts every read with a status byte: data comes after a 0. */
function packetMode(master: number): boolean {
  const on = kbuf(4);
  const r = sys(hostArch().syscalls.ioctl, master, TIOCGPKT, addressOf(on));
  keepAlive(on);
  return r === 0 && on.readInt32LE(0) !== 0;
}

function drain(fd: number, end: PtyEnd, packet: boolean): Uint8Array {
  const buf = kbuf(LIMIT + 1);
  const chunks: Uint8Array[] = [];
  let got = 0;
  while (got < LIMIT) {
    const n = sys(hostArch().syscalls.read, fd, addressOf(buf), LIMIT + 1 - got);
    // EAGAIN: nothing more; EIO: the other side is not open
    if (n === 0 || n === -EAGAIN || n === -EIO) break;
    if (n < 0) return refuse('fds', end.pid, `task ${end.pid} fd ${end.fd}: cannot read its pty queue: errno ${-n}`);
    // a packet with a non-zero status byte reports a flow event and carries no data
    const data = packet ? (buf[0] === 0 ? buf.subarray(1, n) : buf.subarray(0, 0)) : buf.subarray(0, n);
    chunks.push(new Uint8Array(data));
    got += data.length;
  }
  keepAlive(buf);
  return new Uint8Array(Buffer.concat(chunks));
}

function writeAll(fd: number, data: Uint8Array, end: PtyEnd): void {
  if (data.length === 0) return;
  const bytes = kbuf(data.length);
  bytes.set(data);
  let done = 0;
  while (done < bytes.length) {
    const n = sys(hostArch().syscalls.write, fd, addressOf(bytes) + BigInt(done), bytes.length - done);
    if (n <= 0) return refuse('fds', end.pid, `task ${end.pid} fd ${end.fd}: cannot put ${bytes.length} bytes back into its pty: errno ${-n}`);
    done += n;
  }
  keepAlive(bytes);
}
