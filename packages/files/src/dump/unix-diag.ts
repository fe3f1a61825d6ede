import { align, sockDiagDump } from './sock-diag.js';

/**
 * Every AF_UNIX socket of this network namespace as the kernel's sock_diag reports it (one
 * NETLINK_SOCK_DIAG dump): what /proc cannot tell, above all which socket a connected one's peer
 * is, and the connections waiting on a listening one.
 */
export interface UnixSocketInfo {
  readonly ino: number;
  /** SOCK_STREAM 1, SOCK_DGRAM 2, SOCK_SEQPACKET 5. */
  readonly type: number;
  /** TCP_ESTABLISHED 1 (connected), TCP_CLOSE 7 (not connected), TCP_LISTEN 10. */
  readonly state: number;
  /** The bound name: empty, a path, or an abstract name (its first byte 0). */
  readonly name: Uint8Array;
  /** The peer's inode, 0 for none. */
  readonly peer: number;
  /** Connections a listening socket has not accepted yet: their inodes. */
  readonly pending: readonly number[];
  /** RCV_SHUTDOWN 1 | SEND_SHUTDOWN 2. */
  readonly shutdown: number;
  /** Listening: the backlog; otherwise the bytes queued to send. */
  readonly wqueue: number;
  /** The inode of the socket file a path name made (0 for none): if the path leads elsewhere now, the file was deleted. */
  readonly fileIno: number;
}

const AF_UNIX = 1;
const UDIAG_SHOW_NAME = 0x1;
const UDIAG_SHOW_VFS = 0x2;
const UDIAG_SHOW_PEER = 0x4;
const UDIAG_SHOW_ICONS = 0x8;
const UDIAG_SHOW_RQLEN = 0x10;
const UNIX_DIAG_NAME = 0;
const UNIX_DIAG_VFS = 1;
const UNIX_DIAG_PEER = 2;
const UNIX_DIAG_ICONS = 3;
const UNIX_DIAG_RQLEN = 4;
const UNIX_DIAG_SHUTDOWN = 6;
const UNIX_DIAG_MSG = 16;

/** Asks the kernel for every unix socket; `step` names the dump step in a refusal. */
export function unixSockets(step: string): Map<number, UnixSocketInfo> {
  // struct unix_diag_req: family, protocol, pad, states, ino, show, cookie
  const request = Buffer.alloc(24);
  request.writeUInt8(AF_UNIX, 0);
  request.writeUInt32LE(0xffffffff, 4);
  request.writeUInt32LE(UDIAG_SHOW_NAME | UDIAG_SHOW_VFS | UDIAG_SHOW_PEER | UDIAG_SHOW_ICONS | UDIAG_SHOW_RQLEN, 12);
  const sockets = new Map<number, UnixSocketInfo>();
  for (const message of sockDiagDump(step, 'unix sockets', request, UNIX_DIAG_MSG)) {
    const info = parseMessage(message);
    sockets.set(info.ino, info);
  }
  return sockets;
}

/** struct unix_diag_msg (family, type, state, pad, ino, cookie) and its attributes. */
function parseMessage(msg: Buffer): UnixSocketInfo {
  let name: Uint8Array = new Uint8Array(0);
  let peer = 0;
  let pending: number[] = [];
  let shutdown = 0;
  let wqueue = 0;
  let fileIno = 0;
  for (let at = UNIX_DIAG_MSG; at + 4 <= msg.length; ) {
    const length = msg.readUInt16LE(at);
    const type = msg.readUInt16LE(at + 2);
    if (length < 4) break;
    const value = msg.subarray(at + 4, at + length);
    if (type === UNIX_DIAG_NAME) name = Uint8Array.from(value);
    else if (type === UNIX_DIAG_VFS) fileIno = value.readUInt32LE(0);
    else if (type === UNIX_DIAG_PEER) peer = value.readUInt32LE(0);
    else if (type === UNIX_DIAG_ICONS) pending = Array.from({ length: value.length / 4 }, (_, i) => value.readUInt32LE(i * 4));
    else if (type === UNIX_DIAG_SHUTDOWN) shutdown = value.readUInt8(0);
    else if (type === UNIX_DIAG_RQLEN) wqueue = value.readUInt32LE(4);
    at += align(length);
  }
  return { ino: msg.readUInt32LE(4), type: msg.readUInt8(1), state: msg.readUInt8(2), name, peer, pending, shutdown, wqueue, fileIno };
}

