import { addressOf, hostArch, kbuf, keepAlive, sys } from '@criu-ts/ptrace';
import { RestoreFault } from '@criu-ts/subsystem';
import { PASS_MARK } from '../network-lock.js';
import { AF_INET, AF_INET6, IPPROTO_TCP, SO_MARK, SOL_SOCKET } from '../socket-constants.js';
import { setSocketInt } from './socket-calls.js';

/** A TCP segment's flags. */
export const TCP_FIN = 0x01;
export const TCP_ACK = 0x10;

const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
/** A raw socket of this protocol takes the IP header with the packet (IPv4 and IPv6 alike). */
const IPPROTO_RAW = 255;

/** One end of a connection: its address in network order (4 or 16 bytes) and port. */
export interface SegmentEnd {
  readonly address: Uint8Array;
  readonly port: number;
}

/**
 * Sends our restored socket a segment with no data as its peer would (a raw socket, CAP_NET_RAW),
 * to move it through the closing states the dump found it in: the peer's FIN, or the peer's
 * acknowledgement of our FIN. `seq` is the peer's sequence number (our rcv_nxt), `ack` what it
 * acknowledges, `window` the window it announces (already scaled down). Marked to pass the network
 * lock, which still holds the connection.
 */
export function sendAsPeer(from: SegmentEnd, to: SegmentEnd, seq: number, ack: number, flags: number, window: number, what: string): void {
  const v4 = from.address.length === 4;
  const tcp = tcpHeader(from, to, seq, ack, flags, window);
  const packet = v4 ? Buffer.concat([ipv4Header(from.address, to.address, tcp.length), tcp]) : Buffer.concat([ipv6Header(from.address, to.address, tcp.length), tcp]);
  const nr = hostArch().syscalls;
  const family = v4 ? AF_INET : AF_INET6;
  const s = sys(nr.socket, family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
  if (s < 0) throw new RestoreFault('files', `cannot make a raw socket to close ${what} as it was: errno ${-s}${s === -1 ? ' (it needs CAP_NET_RAW)' : ''}`);
  try {
    setSocketInt(s, SOL_SOCKET, SO_MARK, PASS_MARK, what);
    const buffer = kbuf(packet.length);
    buffer.set(packet);
    const destination = socketAddress(family, to.address);
    const n = sys(nr.sendto, s, addressOf(buffer), packet.length, 0, addressOf(destination), destination.length);
    keepAlive(buffer);
    keepAlive(destination);
    if (n !== packet.length) throw new RestoreFault('files', `cannot send the peer's segment that closes ${what} as it was: ${n < 0 ? `errno ${-n}` : `${n} bytes sent`}`);
  } finally {
    sys(nr.close, s);
  }
}

function tcpHeader(from: SegmentEnd, to: SegmentEnd, seq: number, ack: number, flags: number, window: number): Buffer {
  const header = Buffer.alloc(20);
  header.writeUInt16BE(from.port, 0);
  header.writeUInt16BE(to.port, 2);
  header.writeUInt32BE(seq >>> 0, 4);
  header.writeUInt32BE(ack >>> 0, 8);
  header[12] = 5 << 4; // 20 bytes, no options
  header[13] = flags;
  header.writeUInt16BE(Math.min(window, 0xffff), 14);
  const pseudo = Buffer.alloc(from.address.length * 2 + (from.address.length === 4 ? 4 : 8));
  pseudo.set(from.address, 0);
  pseudo.set(to.address, from.address.length);
  const at = from.address.length * 2;
  if (from.address.length === 4) {
    pseudo[at + 1] = IPPROTO_TCP;
    pseudo.writeUInt16BE(header.length, at + 2);
  } else {
    pseudo.writeUInt32BE(header.length, at);
    pseudo[at + 7] = IPPROTO_TCP;
  }
  header.writeUInt16BE(checksum(Buffer.concat([pseudo, header])), 16);
  return header;
}

/** The IPv4 header; the kernel fills in its checksum (and the length and id, as it does for IPPROTO_RAW). */
function ipv4Header(source: Uint8Array, destination: Uint8Array, payload: number): Buffer {
  const header = Buffer.alloc(20);
  header[0] = 0x45;
  header.writeUInt16BE(20 + payload, 2);
  header[8] = 64; // TTL
  header[9] = IPPROTO_TCP;
  header.set(source, 12);
  header.set(destination, 16);
  return header;
}

function ipv6Header(source: Uint8Array, destination: Uint8Array, payload: number): Buffer {
  const header = Buffer.alloc(40);
  header[0] = 0x60;
  header.writeUInt16BE(payload, 4);
  header[6] = IPPROTO_TCP;
  header[7] = 64; // hop limit
  header.set(source, 8);
  header.set(destination, 24);
  return header;
}

function socketAddress(family: number, address: Uint8Array): Buffer {
  const sockaddr = kbuf(family === AF_INET ? 16 : 28);
  sockaddr.fill(0);
  sockaddr.writeUInt16LE(family, 0);
  sockaddr.set(address, family === AF_INET ? 4 : 8);
  return sockaddr;
}

/** The Internet checksum (RFC 1071) of `data`. */
function checksum(data: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < data.length; i += 2) sum += data.readUInt16BE(i);
  if (data.length % 2) sum += data[data.length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
