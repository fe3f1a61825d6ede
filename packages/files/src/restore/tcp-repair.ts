import type { MessageValue } from '@criu-ts/images';
import { addressOf, hostArch, kbuf, keepAlive, sys } from '@criu-ts/ptrace';
import { RestoreFault } from '@criu-ts/subsystem';
import {
  IPPROTO_TCP, TCP_NO_QUEUE, TCP_QUEUE_SEQ, TCP_RECV_QUEUE, TCP_REPAIR, TCP_REPAIR_OFF_NO_WP, TCP_REPAIR_OPTIONS,
  TCP_REPAIR_QUEUE, TCP_REPAIR_WINDOW, TCP_SEND_QUEUE, TCP_TIMESTAMP, TCPI_OPT_SACK, TCPI_OPT_TIMESTAMPS,
  TCPI_OPT_WSCALE, TCPOPT_MSS, TCPOPT_SACK_PERM, TCPOPT_TIMESTAMP, TCPOPT_WINDOW, SOL_SOCKET, SO_REUSEADDR,
} from '../socket-constants.js';
import { readKindImage } from './kind-image.js';
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

/**
 * Makes our TCP socket `fd` the dumped connection again, in repair mode (CAP_NET_ADMIN): each
 * queue's sequence number (less the bytes about to be queued again), bound to its address and
 * connected to its peer with no handshake, the options negotiated, the timestamp clock, the bytes
 * received and not read, the bytes sent and not acknowledged (and those not sent yet: queued as
 * sent, they go out when the retransmission timer fires), the window. The socket stays in repair
 * mode, which lets other sockets of the restore bind its port (a listener, after the connection
 * accepted from it), until leaveRepair.
 */
export function restoreConnection(fd: number, stream: TcpStream, local: Buffer, peer: Buffer, what: string): void {
  const e = stream.entry;
  const set = (option: number, value: number) => setSocketInt(fd, IPPROTO_TCP, option, value, what);
  try {
    set(TCP_REPAIR, 1);
  } catch (error) {
    throw new RestoreFault('files', `${(error as Error).message} (TCP repair needs CAP_NET_ADMIN)`);
  }
  set(TCP_REPAIR_QUEUE, TCP_RECV_QUEUE);
  set(TCP_QUEUE_SEQ, (Number(e.inq_seq) - stream.inq.length) >>> 0);
  set(TCP_REPAIR_QUEUE, TCP_SEND_QUEUE);
  set(TCP_QUEUE_SEQ, (Number(e.outq_seq) - stream.outq.length) >>> 0);
  set(TCP_REPAIR_QUEUE, TCP_NO_QUEUE);
  callWithAddress(hostArch().syscalls.bind, fd, local, `bind ${what}`);
  callWithAddress(hostArch().syscalls.connect, fd, peer, `connect ${what}`);

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

  set(TCP_REPAIR_QUEUE, TCP_RECV_QUEUE);
  sendAll(fd, stream.inq, `the unread bytes of ${what}`);
  set(TCP_REPAIR_QUEUE, TCP_SEND_QUEUE);
  sendAll(fd, stream.outq, `the unacknowledged bytes of ${what}`);
  set(TCP_REPAIR_QUEUE, TCP_NO_QUEUE);
  if (e.snd_wl1 !== undefined) {
    const window = Buffer.alloc(20);
    ['snd_wl1', 'snd_wnd', 'max_window', 'rcv_wnd', 'rcv_wup'].forEach((field, i) => window.writeUInt32LE(Number(e[field] ?? 0) >>> 0, 4 * i));
    setSocketOption(fd, IPPROTO_TCP, TCP_REPAIR_WINDOW, window, what);
  }
}

/**
 * Takes the connection out of repair mode once every socket of the restore is made, without a
 * window probe: nothing goes on the wire before the tasks run, when the peer, restored too, is there
 * to answer. Leaving repair mode clears SO_REUSEADDR: `reuseaddr` puts it back.
 */
export function leaveRepair(fd: number, reuseaddr: boolean, what: string): void {
  setSocketInt(fd, IPPROTO_TCP, TCP_REPAIR, TCP_REPAIR_OFF_NO_WP, what);
  if (reuseaddr) setSocketInt(fd, SOL_SOCKET, SO_REUSEADDR, 1, what);
}

/** Queues `data` on the selected queue, in as many sends as the kernel takes. */
function sendAll(fd: number, data: Uint8Array, what: string): void {
  if (data.length === 0) return;
  const buffer = kbuf(data.length);
  buffer.set(data);
  for (let done = 0; done < data.length; ) {
    const n = sys(hostArch().syscalls.sendto, fd, addressOf(buffer) + BigInt(done), data.length - done, 0, 0, 0);
    if (n <= 0) {
      keepAlive(buffer);
      throw new RestoreFault('files', `cannot queue ${what} again: ${n < 0 ? `errno ${-n}` : 'nothing taken'}`);
    }
    done += n;
  }
  keepAlive(buffer);
}
