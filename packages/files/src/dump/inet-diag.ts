import { AF_INET, IPPROTO_TCP, TCP_SYN_SENT } from '../socket-constants.js';
import { sockDiagDump } from './sock-diag.js';

/** struct inet_diag_msg: family, state, timer, retrans, inet_diag_sockid (48 bytes), expires, rqueue, wqueue, uid, inode. */
const INET_DIAG_MSG = 72;

/**
 * The peer of each TCP socket of `family` in SYN_SENT (a connect in progress), by inode, as the
 * kernel's sock_diag reports it: getpeername does not tell it until the connection is made.
 */
export function synSentPeers(step: string, family: number): Map<number, { address: Uint8Array; port: number }> {
  // struct inet_diag_req_v2: family, protocol, ext, pad, states, then an inet_diag_sockid left empty
  const request = Buffer.alloc(56);
  request.writeUInt8(family, 0);
  request.writeUInt8(IPPROTO_TCP, 1);
  request.writeUInt32LE(1 << TCP_SYN_SENT, 4);
  const peers = new Map<number, { address: Uint8Array; port: number }>();
  for (const message of sockDiagDump(step, 'TCP sockets being connected', request, INET_DIAG_MSG)) {
    // inet_diag_sockid at 4: sport, dport (network order), src (16 bytes), dst (16 bytes), if, cookie
    const length = family === AF_INET ? 4 : 16;
    peers.set(message.readUInt32LE(68), { address: Uint8Array.from(message.subarray(24, 24 + length)), port: message.readUInt16BE(6) });
  }
  return peers;
}
