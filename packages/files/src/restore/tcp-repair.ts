import type { MessageValue } from '@criu-ts/images';
import { addressOf, hostArch, kbuf, keepAlive, sys } from '@criu-ts/ptrace';
import { RestoreFault } from '@criu-ts/subsystem';
import {
  IPPROTO_TCP, MSG_DONTWAIT, SO_RCVBUF, SO_RCVBUFFORCE, SO_REUSEADDR, SO_SNDBUF, SO_SNDBUFFORCE, SOL_SOCKET,
  TCP_INFO, TCP_NO_QUEUE, TCP_QUEUE_SEQ, TCP_RECV_QUEUE, TCP_REPAIR, TCP_REPAIR_OFF_NO_WP, TCP_REPAIR_OPTIONS,
  TCP_REPAIR_QUEUE, TCP_REPAIR_WINDOW, TCP_SEND_QUEUE, TCP_TIMESTAMP, TCPI_OPT_SACK, TCPI_OPT_TIMESTAMPS,
  TCPI_OPT_WSCALE, TCPOPT_MSS, TCPOPT_SACK_PERM, TCPOPT_TIMESTAMP, TCPOPT_WINDOW,
} from '../socket-constants.js';
import { getSocketOption } from '../dump/socket-calls.js';
import { tcpFins } from '../tcp-fins.js';
import { readKindImage } from './kind-image.js';
import { type SegmentEnd, sendAsPeer, TCP_ACK, TCP_FIN } from './peer-segment.js';
import { callWithAddress, setSocketInt, setSocketOption } from './socket-calls.js';

/** A connection's tcp-stream image: its state and its two queues. */
export interface TcpStream {
  readonly entry: MessageValue;
  readonly inq: Uint8Array;
  readonly outq: Uint8Array;
}

/** The tcp-stream image of the connection whose socket inode is `ino` (named in hex, as CRIU names it). */
export function readTcpStream(imagesDir: string, ino: number, what: string): TcpStream {
  const name = `tcp-stream-${ino.toString(16)}.img`;
  const entries = readKindImage(imagesDir, name);
  const first = entries?.[0];
  const queues = first?.payload as { inq?: Uint8Array; outq?: Uint8Array } | undefined;
  if (!first || !queues?.inq || !queues.outq) throw new RestoreFault('images', `${what}: ${name} is missing or holds no connection`);
  return { entry: first.message, inq: queues.inq, outq: queues.outq };
}

/** Where a connection is: its state, and its two ends as sockaddrs and as the segments of its peer name them. */
export interface ConnectionEnds {
  readonly state: number;
  readonly local: Buffer;
  readonly peer: Buffer;
  readonly localEnd: SegmentEnd;
  readonly peerEnd: SegmentEnd;
}

/**
 * Makes our TCP socket `fd` the dumped connection again, in repair mode (CAP_NET_ADMIN): each
 * queue's sequence number (less the bytes about to be queued again), bound to its address and
 * connected to its peer with no handshake, the options negotiated, the timestamp clock, the bytes
 * received and not read, the bytes sent and not acknowledged (and those not sent yet: queued as
 * sent, they go out when the retransmission timer fires), the window, and for a half-closed
 * connection its FINs (see TcpFins): ours by shutdown, the peer's by a segment sent as the peer
 * would. The socket stays in repair mode, which lets other sockets of the restore bind its port (a
 * listener, after the connection accepted from it), until leaveRepair.
 */
export function restoreConnection(fd: number, stream: TcpStream, ends: ConnectionEnds, what: string): void {
  const e = stream.entry;
  const fins = tcpFins(ends.state);
  if (!fins) throw new RestoreFault('files', `${what} is in TCP state ${ends.state}: only established and half-closed connections can be restored`);
  const set = (option: number, value: number) => setSocketInt(fd, IPPROTO_TCP, option, value, what);
  enterRepair(fd, what);
  // a FIN takes a sequence number: each is left out here and made again below
  const received = (Number(e.inq_seq) - (fins.received ? 1 : 0)) >>> 0;
  const written = (Number(e.outq_seq) - (fins.sent ? 1 : 0)) >>> 0;
  const unacknowledged = (written - stream.outq.length) >>> 0;
  set(TCP_REPAIR_QUEUE, TCP_RECV_QUEUE);
  set(TCP_QUEUE_SEQ, (received - stream.inq.length) >>> 0);
  set(TCP_REPAIR_QUEUE, TCP_SEND_QUEUE);
  set(TCP_QUEUE_SEQ, unacknowledged);
  set(TCP_REPAIR_QUEUE, TCP_NO_QUEUE);
  callWithAddress(hostArch().syscalls.bind, fd, ends.local, `bind ${what}`);
  callWithAddress(hostArch().syscalls.connect, fd, ends.peer, `connect ${what}`);

  const mask = Number(e.opt_mask);
  const options: [number, number][] = [[TCPOPT_MSS, Number(e.mss_clamp)]];
  if (mask & TCPI_OPT_WSCALE) options.push([TCPOPT_WINDOW, Number(e.snd_wscale) + (Number(e.rcv_wscale ?? 0) << 16)]);
  if (mask & TCPI_OPT_SACK) options.push([TCPOPT_SACK_PERM, 0]);
  if (mask & TCPI_OPT_TIMESTAMPS) options.push([TCPOPT_TIMESTAMP, 0]);
  const list = Buffer.alloc(8 * options.length);
  options.forEach(([code, value], i) => {
    list.writeUInt32LE(code, 8 * i);
    list.writeUInt32LE(value >>> 0, 8 * i + 4);
  });
  setSocketOption(fd, IPPROTO_TCP, TCP_REPAIR_OPTIONS, list, what);
  if (mask & TCPI_OPT_TIMESTAMPS && e.timestamp !== undefined) set(TCP_TIMESTAMP, Number(e.timestamp));

  // the queues are made again with room to spare: a socket dumped with its send buffer full (its
  // peer's window closed) holds about as much as the buffer, and what the kernel counts for the
  // queued bytes is more than the bytes
  withRoomyBuffers(fd, stream, what, () => {
    set(TCP_REPAIR_QUEUE, TCP_RECV_QUEUE);
    sendAll(fd, stream.inq, `the unread bytes of ${what}`);
    set(TCP_REPAIR_QUEUE, TCP_SEND_QUEUE);
    sendAll(fd, stream.outq, `the unacknowledged bytes of ${what}`);
    set(TCP_REPAIR_QUEUE, TCP_NO_QUEUE);
  });
  if (e.snd_wl1 !== undefined) {
    const window = Buffer.alloc(20);
    ['snd_wl1', 'snd_wnd', 'max_window', 'rcv_wnd', 'rcv_wup'].forEach((field, i) => window.writeUInt32LE(Number(e[field] ?? 0) >>> 0, 4 * i));
    if (fins.received) {
      // the window as it was before the peer's FIN came, which is about to come again
      window.writeUInt32LE((Number(e.rcv_wnd) + 1) >>> 0, 12);
      window.writeUInt32LE((Number(e.rcv_wup) - 1) >>> 0, 16);
    }
    setSocketOption(fd, IPPROTO_TCP, TCP_REPAIR_WINDOW, window, what);
  }

  // the peer's window, as its segments announce it
  const peerWindow = Math.floor(Number(e.snd_wnd ?? 0xffff) / 2 ** (Number(e.opt_mask) & TCPI_OPT_WSCALE ? Number(e.snd_wscale) : 0));
  const fromPeer = (seq: number, ack: number, flags: number) => sendAsPeer(ends.peerEnd, ends.localEnd, seq, ack, flags, peerWindow, what);
  if (fins.sent && !fins.sentLast) shutdownInRepair(fd, fins.sentAcked, what);
  if (fins.received) fromPeer(received, unacknowledged, TCP_FIN | TCP_ACK);
  if (fins.sentLast) shutdownInRepair(fd, false, what);
  if (fins.sentAcked) fromPeer(received, (written + 1) >>> 0, TCP_ACK);
  if (fins.sent || fins.received) awaitState(fd, ends.state, what);
}

/**
 * Makes our TCP socket `fd` the dumped connect in progress (SYN_SENT) again: in repair mode its
 * first sequence number (the SYN's, so that the peer's answer to the dumped SYN fits) and its
 * address, then out of repair mode a connect that does not wait (the SYN goes out again, or once the
 * network lock is removed, on the kernel's retry).
 */
export function restoreConnecting(fd: number, stream: TcpStream, ends: ConnectionEnds, what: string): void {
  const e = stream.entry;
  const set = (option: number, value: number) => setSocketInt(fd, IPPROTO_TCP, option, value, what);
  enterRepair(fd, what);
  set(TCP_REPAIR_QUEUE, TCP_SEND_QUEUE);
  set(TCP_QUEUE_SEQ, (Number(e.outq_seq) - stream.outq.length - 1) >>> 0);
  set(TCP_REPAIR_QUEUE, TCP_NO_QUEUE);
  callWithAddress(hostArch().syscalls.bind, fd, ends.local, `bind ${what}`);
  set(TCP_REPAIR, 0);
  const nr = hostArch().syscalls;
  const flags = sys(nr.fcntl, fd, F_GETFL, 0);
  sys(nr.fcntl, fd, F_SETFL, flags | O_NONBLOCK);
  const buffer = kbuf(ends.peer.length);
  buffer.set(ends.peer);
  const r = sys(nr.connect, fd, addressOf(buffer), buffer.length);
  keepAlive(buffer);
  sys(nr.fcntl, fd, F_SETFL, flags);
  if (r < 0 && r !== -EINPROGRESS) throw new RestoreFault('files', `cannot connect ${what} again: errno ${-r}`);
}

function enterRepair(fd: number, what: string): void {
  try {
    setSocketInt(fd, IPPROTO_TCP, TCP_REPAIR, 1, what);
  } catch (error) {
    throw new RestoreFault('files', `${(error as Error).message} (TCP repair needs CAP_NET_ADMIN)`);
  }
}

/**
 * Queues our FIN again (shutdown in repair mode sends nothing); one the peer had acknowledged is
 * queued as sent, and the peer's acknowledgement follows.
 */
function shutdownInRepair(fd: number, acknowledged: boolean, what: string): void {
  if (acknowledged) setSocketInt(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE, what);
  const r = sys(hostArch().syscalls.shutdown, fd, SHUT_WR);
  if (acknowledged) setSocketInt(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_NO_QUEUE, what);
  if (r < 0) throw new RestoreFault('files', `cannot queue the FIN of ${what} again: errno ${-r}`);
}

/** Waits for the kernel to take the segments sent as the peer (loopback delivers them at once, or nearly). */
function awaitState(fd: number, state: number, what: string): void {
  let now = -1;
  for (let waited = 0; waited <= 1000; waited += 1) {
    const r = getSocketOption(fd, IPPROTO_TCP, TCP_INFO, 8);
    now = 'errno' in r ? -1 : r.value[0];
    if (now === state) return;
    Atomics.wait(PAUSE, 0, 0, 1);
  }
  throw new RestoreFault('files', `${what} did not come back to TCP state ${state} (it is in ${now})`);
}

const PAUSE = new Int32Array(new SharedArrayBuffer(4));
const SHUT_WR = 1;

/**
 * Takes the connection out of repair mode once every socket of the restore is made, without a
 * window probe: nothing goes on the wire before the tasks run, when the peer, restored too, is there
 * to answer. Leaving repair mode clears SO_REUSEADDR: `reuseaddr` puts it back.
 */
export function leaveRepair(fd: number, reuseaddr: boolean, what: string): void {
  setSocketInt(fd, IPPROTO_TCP, TCP_REPAIR, TCP_REPAIR_OFF_NO_WP, what);
  if (reuseaddr) setSocketInt(fd, SOL_SOCKET, SO_REUSEADDR, 1, what);
}

/** Runs `queue` with the socket's buffers made large enough for both queues, then puts them back as they were. */
function withRoomyBuffers(fd: number, stream: TcpStream, what: string, queue: () => void): void {
  const size = (option: number) => {
    const r = getSocketOption(fd, SOL_SOCKET, option, 4);
    if ('errno' in r) throw new RestoreFault('files', `cannot read the buffer sizes of ${what}: errno ${r.errno}`);
    return r.value.readUInt32LE(0);
  };
  // SO_SNDBUF and SO_RCVBUF read twice what was set
  const sndbuf = size(SO_SNDBUF);
  const rcvbuf = size(SO_RCVBUF);
  setSocketInt(fd, SOL_SOCKET, SO_SNDBUFFORCE, Math.max(sndbuf / 2, 2 * stream.outq.length + (1 << 20)), what);
  setSocketInt(fd, SOL_SOCKET, SO_RCVBUFFORCE, Math.max(rcvbuf / 2, 2 * stream.inq.length + (1 << 20)), what);
  queue();
  setSocketInt(fd, SOL_SOCKET, SO_SNDBUFFORCE, sndbuf / 2, what);
  setSocketInt(fd, SOL_SOCKET, SO_RCVBUFFORCE, rcvbuf / 2, what);
}

/**
 * Queues `data` on the selected queue, in as many sends as the kernel takes, never waiting (a queue
 * that does not fit is an error, not a restore that hangs). The receive queue is made of one buffer
 * per send: a send too large for the allocator fails with ENOMEM and is tried again in halves.
 */
function sendAll(fd: number, data: Uint8Array, what: string): void {
  if (data.length === 0) return;
  const buffer = kbuf(data.length);
  buffer.set(data);
  let chunk = data.length;
  for (let done = 0; done < data.length; ) {
    const length = Math.min(chunk, data.length - done);
    const n = sys(hostArch().syscalls.sendto, fd, addressOf(buffer) + BigInt(done), length, MSG_DONTWAIT, 0, 0);
    if (n === -ENOMEM && chunk > 1024) {
      chunk >>= 1;
      continue;
    }
    if (n <= 0) {
      keepAlive(buffer);
      throw new RestoreFault('files', `cannot queue ${what} again: ${n < 0 ? `errno ${-n}` : 'nothing taken'}`);
    }
    done += n;
  }
  keepAlive(buffer);
}

const ENOMEM = 12;
const EINPROGRESS = 115;
const F_GETFL = 3;
const F_SETFL = 4;
const O_NONBLOCK = 0o4000;
