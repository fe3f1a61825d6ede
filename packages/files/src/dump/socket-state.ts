import type { MessageValue } from '@criu-ts/images';
import { addressOf, hostArch, kbuf, keepAlive, sys } from '@criu-ts/ptrace';
import { refuse } from '@criu-ts/subsystem';
import { withStolenFd } from './stolen-fd.js';
import { getSocketOption, setSocketInt } from './socket-calls.js';
import {
  MSG_DONTWAIT, MSG_PEEK, SOL_SOCKET, SO_ATTACH_FILTER, SO_BINDTODEVICE, SO_BROADCAST, SO_DONTROUTE, SO_KEEPALIVE, SO_MARK, SO_NO_CHECK,
  SO_OOBINLINE, SO_PASSCRED, SO_PASSSEC, SO_PRIORITY, SO_RCVBUF, SO_RCVLOWAT, SO_RCVTIMEO, SO_REUSEADDR,
  SO_REUSEPORT, SO_SNDBUF, SO_SNDTIMEO,
} from '../socket-constants.js';

const SO_PEEK_OFF = 42;
const MSG_TRUNC = 0x20;
const SCM_RIGHTS = 1;
const EAGAIN = 11;
const ENOPROTOOPT = 92;
const IFNAMSIZ = 16;
const EOPNOTSUPP = 95;
const SOCK_STREAM = 1;
/** Larger than any datagram a unix socket takes (its send buffer bounds it). */
const PEEK_BUFFER = 4 << 20;

/** What a socket's options and receive queue were, read through a copy of its fd. */
export interface SocketState {
  /** sk_opts_entry. */
  readonly opts: MessageValue;
  /** The messages queued to be read, oldest first (for a stream socket, its bytes as one). */
  readonly queue: readonly Uint8Array[];
}

/**
 * Reads the options and the receive queue of the socket behind fd `fd` of task `pid` without
 * taking anything from it: the queue is peeked through a copy of the fd (pidfd_getfd) with
 * SO_PEEK_OFF walking it, and the socket's own peek offset is put back after. A queued message
 * that carries fds (SCM_RIGHTS) is refused: those files would have to be dumped too.
 */
export function readSocketState(pid: number, fd: number, type: number, queue: 'none' | 'open' | 'shut'): SocketState {
  return withStolenFd(pid, fd, (local) => ({
    opts: socketOptions(local, pid, fd),
    queue: queue === 'none' ? [] : peekQueue(local, type, queue === 'shut', pid, fd),
  }));
}

/**
 * The socket-level options of every family (sk_opts_entry) of the socket `local`, our copy of fd
 * `fd` of task `pid`: buffer sizes, timeouts, and those set that are off by default.
 */
export function socketOptions(local: number, pid: number, fd: number): MessageValue {
  const int = (option: number) => getInt(local, option, pid, fd);
  const [sndSec, sndUsec] = getTimeval(local, SO_SNDTIMEO, pid, fd);
  const [rcvSec, rcvUsec] = getTimeval(local, SO_RCVTIMEO, pid, fd);
  const opts: MessageValue = {
    so_sndbuf: int(SO_SNDBUF),
    so_rcvbuf: int(SO_RCVBUF),
    so_snd_tmo_sec: sndSec,
    so_snd_tmo_usec: sndUsec,
    so_rcv_tmo_sec: rcvSec,
    so_rcv_tmo_usec: rcvUsec,
  };
  // a family without the option (SO_PASSCRED is unix sockets' only) has it off
  const flag = (option: number) => getInt(local, option, pid, fd, true);
  const [priority, lowat, mark] = [flag(SO_PRIORITY), flag(SO_RCVLOWAT), flag(SO_MARK)];
  if (flag(SO_REUSEADDR)) opts.reuseaddr = true;
  if (priority) opts.so_priority = priority;
  if (lowat > 1) opts.so_rcvlowat = lowat;
  if (mark) opts.so_mark = mark >>> 0;
  if (flag(SO_PASSCRED)) opts.so_passcred = true;
  if (flag(SO_PASSSEC)) opts.so_passsec = true;
  if (flag(SO_DONTROUTE)) opts.so_dontroute = true;
  if (flag(SO_NO_CHECK)) opts.so_no_check = true;
  if (flag(SO_REUSEPORT)) opts.so_reuseport = true;
  if (flag(SO_BROADCAST)) opts.so_broadcast = true;
  if (flag(SO_KEEPALIVE)) opts.so_keepalive = true;
  if (flag(SO_OOBINLINE)) opts.so_oobinline = 1;
  const device = boundDevice(local, pid, fd);
  if (device) opts.so_bound_dev = device;
  const filter = socketFilter(local, pid, fd);
  if (filter.length > 0) opts.so_filter = filter;
  return opts;
}

/** The network device the socket is bound to (SO_BINDTODEVICE), or '' for none. */
function boundDevice(local: number, pid: number, fd: number): string {
  const r = getSocketOption(local, SOL_SOCKET, SO_BINDTODEVICE, IFNAMSIZ);
  if ('errno' in r) return r.errno === ENOPROTOOPT || r.errno === EOPNOTSUPP ? '' : refuse('fds', pid, `cannot read the device the socket at fd ${fd} of task ${pid} is bound to: errno ${r.errno}`);
  const end = r.value.indexOf(0);
  return r.value.subarray(0, end < 0 ? IFNAMSIZ : end).toString();
}

/**
 * The classic BPF program attached to the socket (SO_GET_FILTER), one 8-byte sock_filter per
 * word, as CRIU's so_filter holds it: asked first with no buffer, which gives the count.
 */
function socketFilter(local: number, pid: number, fd: number): bigint[] {
  const nr = hostArch().syscalls;
  const length = kbuf(4);
  const r = sys(nr.getsockopt, local, SOL_SOCKET, SO_ATTACH_FILTER, 0, addressOf(length));
  keepAlive(length);
  if (r < 0) return r === -ENOPROTOOPT || r === -EOPNOTSUPP ? [] : refuse('fds', pid, `cannot read the filter of the socket at fd ${fd} of task ${pid}: errno ${-r}`);
  const count = length.readUInt32LE(0);
  if (count === 0) return [];
  const program = getSocketOption(local, SOL_SOCKET, SO_ATTACH_FILTER, 8 * count);
  if ('errno' in program) return refuse('fds', pid, `cannot read the filter of the socket at fd ${fd} of task ${pid}: errno ${program.errno}`);
  return Array.from({ length: count }, (_, i) => program.value.readBigUInt64LE(8 * i));
}

/** `shut`: the socket is shut down for reading, so a read of no bytes is the end of its queue. */
function peekQueue(local: number, type: number, shut: boolean, pid: number, fd: number): Uint8Array[] {
  const nr = hostArch().syscalls;
  const before = getInt(local, SO_PEEK_OFF, pid, fd);
  setInt(local, SO_PEEK_OFF, 0, pid, fd);
  const queue: Uint8Array[] = [];
  const data = kbuf(PEEK_BUFFER);
  const control = kbuf(256);
  const iov = kbuf(16);
  iov.writeBigUInt64LE(addressOf(data), 0);
  iov.writeBigUInt64LE(BigInt(data.length), 8);
  // struct msghdr: name, namelen, iov, iovlen, control, controllen, flags
  const msg = kbuf(56);
  try {
    for (;;) {
      msg.fill(0);
      msg.writeBigUInt64LE(addressOf(iov), 16);
      msg.writeBigUInt64LE(1n, 24);
      msg.writeBigUInt64LE(addressOf(control), 32);
      msg.writeBigUInt64LE(BigInt(control.length), 40);
      const n = sys(nr.recvmsg, local, addressOf(msg), MSG_PEEK | MSG_DONTWAIT);
      if (n === -EAGAIN) break;
      if (n < 0) return refuse('fds', pid, `cannot read the queue of the socket at fd ${fd} of task ${pid}: errno ${-n}`);
      if (msg.readBigUInt64LE(40) > 0n && carriesFds(control, Number(msg.readBigUInt64LE(40)))) {
        return refuse('fds', pid, `the socket at fd ${fd} of task ${pid} has fds queued in a message (SCM_RIGHTS): not supported yet`);
      }
      if (msg.readInt32LE(48) & MSG_TRUNC) return refuse('fds', pid, `a message queued on the socket at fd ${fd} of task ${pid} is larger than ${PEEK_BUFFER} bytes`);
      if (n === 0) {
        // a stream's end once its peer shut down, or a message of no bytes, which the peek offset
        // cannot step over: what follows it could not be read
        if (type === SOCK_STREAM || shut) break;
        return refuse('fds', pid, `the socket at fd ${fd} of task ${pid} has a message of no bytes queued: not supported yet`);
      }
      queue.push(Uint8Array.from(data.subarray(0, n)));
    }
  } finally {
    setInt(local, SO_PEEK_OFF, before, pid, fd);
    keepAlive(data, control, iov, msg);
  }
  // a stream's bytes are one run whatever the writes that queued them
  if (type === SOCK_STREAM && queue.length > 1) return [Buffer.concat(queue)];
  return queue;
}

/** Whether the control messages hold SCM_RIGHTS; the fds peeking installed here are closed. */
function carriesFds(control: Buffer, length: number): boolean {
  let rights = false;
  for (let at = 0; at + 16 <= length; ) {
    const size = Number(control.readBigUInt64LE(at));
    if (size < 16) break;
    if (control.readInt32LE(at + 8) === SOL_SOCKET && control.readInt32LE(at + 12) === SCM_RIGHTS) {
      rights = true;
      for (let i = at + 16; i + 4 <= at + size; i += 4) sys(hostArch().syscalls.close, control.readInt32LE(i));
    }
    at += (size + 7) & ~7;
  }
  return rights;
}

/** `unsupportedIsOff`: an option the socket's family does not have reads as 0. */
function getInt(local: number, option: number, pid: number, fd: number, unsupportedIsOff = false): number {
  return getOption(local, option, 4, pid, fd, unsupportedIsOff)?.readInt32LE(0) ?? 0;
}

function setInt(local: number, option: number, to: number, pid: number, fd: number): void {
  const errno = setSocketInt(local, SOL_SOCKET, option, to);
  if (errno !== undefined) refuse('fds', pid, `cannot set option ${option} of the socket at fd ${fd} of task ${pid}: errno ${errno}`);
}

/** A struct timeval option: seconds and microseconds. */
function getTimeval(local: number, option: number, pid: number, fd: number): [bigint, bigint] {
  const value = getOption(local, option, 16, pid, fd)!;
  return [value.readBigUInt64LE(0), value.readBigUInt64LE(8)];
}

/** A SOL_SOCKET option's value, `size` bytes of it (undefined for one the family lacks, if allowed). */
function getOption(local: number, option: number, size: number, pid: number, fd: number, unsupportedIsOff = false): Buffer | undefined {
  const r = getSocketOption(local, SOL_SOCKET, option, size);
  if ('value' in r) return r.value;
  if (unsupportedIsOff && (r.errno === EOPNOTSUPP || r.errno === ENOPROTOOPT)) return undefined;
  return refuse('fds', pid, `cannot read option ${option} of the socket at fd ${fd} of task ${pid}: errno ${r.errno}`);
}
