import type { ImageEntry, MessageValue } from '@criu-ts/images';
import { addressOf, hostArch, kbuf, keepAlive, stealFd, sys } from '@criu-ts/ptrace';
import { refuse } from '@criu-ts/subsystem';
import * as E from 'fp-ts/lib/Either.js';
import { type LockedConnection, type NetworkLock } from '../network-lock.js';
import { tcpFins } from '../tcp-fins.js';
import { getSocketOption, setSocketInt, socketIoctl } from './socket-calls.js';
import {
  FIONREAD, IPPROTO_TCP, MSG_DONTWAIT, MSG_PEEK, SIOCOUTQNSD, TCPI_OPT_TIMESTAMPS, TCP_INFO, TCP_MAXSEG,
  TCP_NO_QUEUE, TCP_QUEUE_SEQ, TCP_RECV_QUEUE, TCP_REPAIR, TCP_REPAIR_QUEUE, TCP_REPAIR_WINDOW,
  TCP_SEND_QUEUE, TCP_TIMESTAMP, TIOCOUTQ,
} from '../socket-constants.js';

/**
 * Established TCP connections read in repair mode (TCP_REPAIR, CAP_NET_ADMIN), as CRIU's
 * tcp-stream images: sequence numbers of both queues, the bytes received and not read, the bytes
 * sent and not acknowledged or not sent yet, the options negotiated (MSS, window scales, SACK,
 * timestamps), the window, and the timestamp clock. A connection stays in repair mode until the dump
 * ends: killed in repair mode it closes without a word to its peer (no FIN, no RST), so the peer's
 * side is still there for the restore; a dump that fails, or leaves the tree running, takes repair
 * mode off again and the connection goes on.
 */
export class TcpRepair {
  constructor(private readonly lock: NetworkLock) {}

  /** Our copies of the sockets in repair mode, for the end. */
  private readonly held: number[] = [];
  /** What each connection's queues were when read, for verify(). */
  private readonly marks: { s: number; pid: number; what: string; queues: string }[] = [];
  /** Each connection's tcp-stream image, by name. */
  private readonly streams: { name: string; entry: ImageEntry }[] = [];

  /**
   * Locks the connection behind fd `fd` of task `pid` (see NetworkLock), puts its socket in repair
   * mode and reads it; its image is kept for images().
   */
  read(pid: number, fd: number, ino: number, connection: LockedConnection, state: number): void {
    const what = `the TCP connection at fd ${fd} of task ${pid}`;
    try {
      this.lock.lock(connection);
    } catch (error) {
      return refuse('fds', pid, `${what}: ${(error as Error).message} (or dump with --network-lock skip)`);
    }
    const copy = stealFd(pid, fd);
    if (E.isLeft(copy)) return refuse('fds', pid, `cannot take a copy of fd ${fd} of task ${pid}: ${copy.left.message}`);
    const s = copy.right;
    const set = (option: number, value: number) => {
      const errno = setSocketInt(s, IPPROTO_TCP, option, value);
      if (errno !== undefined) refuse('fds', pid, `cannot set TCP option ${option} of ${what}: errno ${errno}`);
    };
    const get = (option: number, size: number) => {
      const r = getSocketOption(s, IPPROTO_TCP, option, size);
      if ('errno' in r) return refuse('fds', pid, `cannot read TCP option ${option} of ${what}: errno ${r.errno}`);
      return r.value;
    };
    const count = (request: number) => {
      const r = socketIoctl(s, request);
      if ('errno' in r) return refuse('fds', pid, `ioctl ${request.toString(16)} on ${what} failed: errno ${r.errno}`);
      return r.value;
    };
    const errno = setSocketInt(s, IPPROTO_TCP, TCP_REPAIR, 1);
    if (errno !== undefined) {
      sys(hostArch().syscalls.close, s);
      return refuse('fds', pid, `cannot put ${what} in repair mode: errno ${errno}${errno === 1 ? ' (it needs CAP_NET_ADMIN)' : ''}`);
    }
    this.held.push(s);
    // the tasks are frozen, but their kernel may still be moving queued bytes between the two ends:
    // the connection is read once it is quiet, and again if it moved while it was read
    for (let attempt = 0; attempt < 20; attempt++) {
      const before = waitQuiet(s);
      const stream = readStream(s, set, get, count, tcpFins(state)?.sent ?? false);
      if (stream && queueState(s) === before) {
        this.marks.push({ s, pid, what, queues: before });
        this.streams.push({ name: `tcp-stream-${ino.toString(16)}.img`, entry: stream });
        return;
      }
    }
    refuse('fds', pid, `${what} kept moving bytes while it was dumped: dump it again once it is quiet${this.unlockedHint()}`);
  }

  /**
   * Checks, just before the tree is killed or left, that no connection moved bytes since it was
   * read. The tasks are frozen, but their kernel still moves what is queued between the two ends
   * of a connection unless the network lock keeps the packets out (and may have done so for
   * packets already on their way when the connection was locked): such a connection fails the
   * dump, which leaves the tree running, rather than lose those bytes.
   */
  verify(): void {
    for (const { s, pid, what, queues } of this.marks) {
      const now = queueState(s);
      if (now !== queues) refuse('fds', pid, `${what} moved bytes while it was dumped (${queues}, then ${now}): dump it again once it is quiet${this.unlockedHint()}`);
    }
  }

  private unlockedHint(): string {
    return this.lock.method === 'skip' ? ' (--network-lock skip: nothing kept its packets out)' : '';
  }

  images(): { name: string; magic: string; entries: ImageEntry[] }[] {
    return this.streams.map(({ name, entry }) => ({ name, magic: 'TCP_STREAM', entries: [entry] }));
  }

  /**
   * The dump ends. `killed`: the tree was killed, so the connections close in repair mode, silently,
   * and the network lock stays for the restore to remove; else they leave repair mode and go on, and
   * the lock goes. What failed of removing the lock, if anything.
   */
  end(killed: boolean): string[] {
    this.marks.length = 0;
    for (const s of this.held.splice(0)) {
      if (!killed) setSocketInt(s, IPPROTO_TCP, TCP_REPAIR, 0);
      sys(hostArch().syscalls.close, s);
    }
    return killed ? [] : this.lock.unlock();
  }
}

/**
 * The connection's tcp-stream entry and its queues, or undefined if a queue could not be read
 * whole (it moved in between).
 */
function readStream(
  s: number,
  set: (option: number, value: number) => void,
  get: (option: number, size: number) => Buffer,
  count: (request: number) => number,
  finSent: boolean,
): ImageEntry | undefined {
  // the window first: read after the queues, it could name bytes they did not hold
  const window = get(TCP_REPAIR_WINDOW, 20);
  // the received FIN counts no unread byte; the FIN sent counts in the send queue while it is not
  // acknowledged, and in its unsent part while it is not sent: it is no byte to keep
  const inqLength = count(FIONREAD);
  const outqLength = Math.max(0, count(TIOCOUTQ) - (finSent ? 1 : 0));
  const unsent = Math.max(0, count(SIOCOUTQNSD) - (finSent ? 1 : 0));
  set(TCP_REPAIR_QUEUE, TCP_RECV_QUEUE);
  const inqSeq = get(TCP_QUEUE_SEQ, 4).readUInt32LE(0);
  const inq = peek(s, inqLength);
  set(TCP_REPAIR_QUEUE, TCP_SEND_QUEUE);
  const outqSeq = get(TCP_QUEUE_SEQ, 4).readUInt32LE(0);
  const outq = peek(s, outqLength);
  set(TCP_REPAIR_QUEUE, TCP_NO_QUEUE);
  if (!inq || !outq) return undefined;
  // tcp_info: tcpi_options at byte 5, the send window scale in the low nibble of byte 6, the receive one in the high
  const info = get(TCP_INFO, 104);
  const options = info[5];
  const stream: MessageValue = {
    inq_len: inqLength,
    inq_seq: inqSeq,
    outq_len: outqLength,
    outq_seq: outqSeq,
    opt_mask: options,
    snd_wscale: info[6] & 0xf,
    // in repair mode TCP_MAXSEG reads the MSS the peer announced (mss_clamp)
    mss_clamp: get(TCP_MAXSEG, 4).readUInt32LE(0),
    rcv_wscale: info[6] >> 4,
    unsq_len: unsent,
    snd_wl1: window.readUInt32LE(0),
    snd_wnd: window.readUInt32LE(4),
    max_window: window.readUInt32LE(8),
    rcv_wnd: window.readUInt32LE(12),
    rcv_wup: window.readUInt32LE(16),
  };
  if (options & TCPI_OPT_TIMESTAMPS) stream.timestamp = get(TCP_TIMESTAMP, 4).readUInt32LE(0);
  return { message: stream, type: 'tcp_stream_entry', payload: { inq, outq } };
}

/**
 * The queues' state once it stays the same for 5 ms (at most 1 s, then as it is): loopback moves
 * bytes at once, and verify() catches what comes later.
 */
function waitQuiet(s: number): string {
  let state = queueState(s);
  for (let waited = 0; waited < 1000; waited += 5) {
    Atomics.wait(PAUSE, 0, 0, 5);
    const now = queueState(s);
    if (now === state) return now;
    state = now;
  }
  return state;
}

const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/**
 * What must not change between reading a connection and killing its task, as one text to compare:
 * where its receive queue ends (bytes arriving later would be acknowledged to the peer and lost)
 * and where its send queue ends. The send queue's start may move: the peer acknowledging bytes it
 * holds (its own dump has them) loses nothing.
 */
function queueState(s: number): string {
  const seq = (queue: number) => {
    setSocketInt(s, IPPROTO_TCP, TCP_REPAIR_QUEUE, queue);
    const r = getSocketOption(s, IPPROTO_TCP, TCP_QUEUE_SEQ, 4);
    return 'errno' in r ? `errno ${r.errno}` : String(r.value.readUInt32LE(0));
  };
  const count = (request: number) => {
    const r = socketIoctl(s, request);
    return 'errno' in r ? `errno ${r.errno}` : String(r.value);
  };
  const state = `received up to ${seq(TCP_RECV_QUEUE)} (${count(FIONREAD)} unread), sent up to ${seq(TCP_SEND_QUEUE)}`;
  setSocketInt(s, IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_NO_QUEUE);
  return state;
}

/**
 * The `length` bytes of the selected queue, peeked (repair mode reads the send queue this way too),
 * or undefined if it does not hold them now.
 */
function peek(s: number, length: number): Uint8Array | undefined {
  if (length === 0) return new Uint8Array(0);
  const buffer = kbuf(length);
  const n = sys(hostArch().syscalls.recvfrom, s, addressOf(buffer), length, MSG_PEEK | MSG_DONTWAIT, 0n, 0n);
  keepAlive(buffer);
  return n === length ? Uint8Array.from(buffer) : undefined;
}
