import { TCP_CLOSE_WAIT, TCP_CLOSING, TCP_ESTABLISHED, TCP_FIN_WAIT1, TCP_FIN_WAIT2, TCP_LAST_ACK, TCP_SYN_SENT } from './socket-constants.js';

/**
 * Where the FINs of a half-closed TCP connection are, by its state: the FIN it sent (its send queue's
 * last sequence number, acknowledged by the peer or not) and the FIN it received (its receive queue's
 * last). A FIN holds a sequence number and no byte: the dump counts no byte for it, and the restore
 * makes it again (shutdown for the one sent, a FIN segment from the peer for the one received).
 *
 *   ESTABLISHED  no FIN
 *   FIN_WAIT1    sent, not acknowledged
 *   FIN_WAIT2    sent and acknowledged
 *   CLOSING      sent, not acknowledged; received
 *   CLOSE_WAIT   received
 *   LAST_ACK     received, then sent, not acknowledged
 */
export interface TcpFins {
  readonly sent: boolean;
  readonly sentAcked: boolean;
  readonly received: boolean;
  /** The FIN sent came after the one received (LAST_ACK): it is made again after it. */
  readonly sentLast: boolean;
}

const FINS: Record<number, TcpFins> = {
  [TCP_ESTABLISHED]: { sent: false, sentAcked: false, received: false, sentLast: false },
  [TCP_FIN_WAIT1]: { sent: true, sentAcked: false, received: false, sentLast: false },
  [TCP_FIN_WAIT2]: { sent: true, sentAcked: true, received: false, sentLast: false },
  [TCP_CLOSING]: { sent: true, sentAcked: false, received: true, sentLast: false },
  [TCP_CLOSE_WAIT]: { sent: false, sentAcked: false, received: true, sentLast: false },
  [TCP_LAST_ACK]: { sent: true, sentAcked: false, received: true, sentLast: true },
};

/** The FINs of a connection in `state`, or undefined for a state a connection cannot be dumped in. */
export function tcpFins(state: number): TcpFins | undefined {
  return FINS[state];
}

/**
 * Whether a TCP socket in `state` is a connection criu-ts dumps and restores: established,
 * half-closed, or being connected (SYN_SENT: its connect is made again, with the same first
 * sequence number).
 */
export function isTcpConnection(state: number): boolean {
  return FINS[state] !== undefined || state === TCP_SYN_SENT;
}
