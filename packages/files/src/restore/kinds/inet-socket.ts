import type { MessageValue } from '@criu-ts/images';
import { hostArch, sys } from '@criu-ts/ptrace';
import { RestoreFault, type RestorePlan } from '@criu-ts/subsystem';
import type { FdRestorer } from '../fd-restorer.js';
import { restoreFown } from '../fown.js';
import { callWithAddress, setSocketInt } from '../socket-calls.js';
import { setSocketOptions } from '../socket-options.js';
import type { SegmentEnd } from '../peer-segment.js';
import { leaveRepair, readTcpStream, restoreConnecting, restoreConnection } from '../tcp-repair.js';
import { isTcpConnection } from '../../tcp-fins.js';
import { describeInetAddress, inetBytes, mappedIpv4 } from '../../inet-address.js';
import {
  AF_INET, AF_INET6, IPPROTO_IPV6, IPPROTO_TCP, IPPROTO_UDP, IPV6_V6ONLY, SOCK_DGRAM, SOCK_STREAM,
  SOL_SOCKET, SO_REUSEADDR, TCP_CLOSE, TCP_CORK, TCP_ESTABLISHED, TCP_KEEPCNT, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_SYN_SENT,
  TCP_LISTEN, TCP_NODELAY,
} from '../../socket-constants.js';

const SOCK_CLOEXEC = 0o2000000;
const O_NONBLOCK = 0o4000;
const F_SETFL = 4;
const F_DUPFD_CLOEXEC = 1030;

/**
 * AF_INET and AF_INET6 sockets of TCP and UDP, made in this process and passed in: bound to their
 * address and port again if they were, listening again with their backlog, a UDP socket connected
 * to its peer again, an established TCP connection made again in repair mode (see tcp-repair.ts).
 * Bound with SO_REUSEADDR for the moment, as CRIU does, so connections of the dumped listener that
 * linger in TIME_WAIT do not keep its port; the option is then set as it was. TCP sockets in other
 * states (closing ones) are refused.
 */
export function inetSockets(): FdRestorer {
  /** Our copies of the connections in repair mode, to take them out of it at the end. */
  const repaired: { fd: number; reuseaddr: boolean; what: string }[] = [];
  return {
    field: 'isk',
    open: (isk: MessageValue, plan: RestorePlan) => openInet(isk, plan, repaired),
    close(restored) {
      const nr = hostArch().syscalls;
      try {
        // a failed restore closes them in repair mode: their peers are not told
        if (restored) for (const { fd, reuseaddr, what } of repaired) leaveRepair(fd, reuseaddr, what);
      } finally {
        for (const { fd } of repaired.splice(0)) sys(nr.close, fd);
      }
    },
  };
}

function openInet(isk: MessageValue, plan: RestorePlan, repaired: { fd: number; reuseaddr: boolean; what: string }[]): number {
  const nr = hostArch().syscalls;
  const family = Number(isk.family);
  const type = Number(isk.type);
  const proto = Number(isk.proto);
  const state = Number(isk.state);
  const local = address(family, isk.src_addr, Number(isk.src_port));
  const what = `${proto === IPPROTO_TCP ? 'TCP' : 'UDP'} socket ${isk.ino} on ${local.text}`;
  const tcp = type === SOCK_STREAM && proto === IPPROTO_TCP;
  const udp = type === SOCK_DGRAM && proto === IPPROTO_UDP;
  if ((family !== AF_INET && family !== AF_INET6) || (!tcp && !udp)) {
    throw new RestoreFault('files', `inet socket ${isk.ino} of family ${family}, type ${type}, protocol ${proto}: only TCP and UDP sockets can be restored yet`);
  }
  const connection = tcp && isTcpConnection(state);
  if (tcp ? !connection && state !== TCP_LISTEN && state !== TCP_CLOSE : state !== TCP_CLOSE && state !== TCP_ESTABLISHED) {
    throw new RestoreFault('files', `${what} is in state ${state}: only established, half-closed and connecting TCP connections can be restored yet`);
  }
  // a connection's image is read before anything is made: a missing or bad one makes nothing
  const stream = connection ? readTcpStream(plan.imagesDir, Number(isk.ino), what) : undefined;
  const fd = sys(nr.socket, family, type | SOCK_CLOEXEC, proto);
  if (fd < 0) throw new RestoreFault('files', `cannot make ${what}: errno ${-fd}`);
  try {
    const opts = (isk.opts ?? {}) as MessageValue;
    setSocketOptions(fd, opts, what);
    if (family === AF_INET6 && isk.v6only) setSocketInt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1, what);
    if (tcp) setTcpOptions(fd, (isk.tcp_opts ?? {}) as MessageValue, what);
    if (stream) {
      const peer = address(family, isk.dst_addr, Number(isk.dst_port));
      const named = `${what} connected to ${peer.text}`;
      const ends = { state, local: local.sockaddr, peer: peer.sockaddr, localEnd: segmentEnd(local.bytes, local.port), peerEnd: segmentEnd(peer.bytes, peer.port) };
      if (state === TCP_SYN_SENT) restoreConnecting(fd, stream, ends, named);
      else {
        restoreConnection(fd, stream, ends, named);
        const copy = sys(nr.fcntl, fd, F_DUPFD_CLOEXEC, 0);
        if (copy < 0) throw new RestoreFault('files', `cannot keep a copy of ${named}: errno ${-copy}`);
        repaired.push({ fd: copy, reuseaddr: Boolean(opts.reuseaddr), what: named });
      }
    } else if (local.port !== 0 || local.bytes.some((byte) => byte !== 0)) {
      setSocketInt(fd, SOL_SOCKET, SO_REUSEADDR, 1, what);
      callWithAddress(nr.bind, fd, local.sockaddr, `bind ${what}`);
      if (!opts.reuseaddr) setSocketInt(fd, SOL_SOCKET, SO_REUSEADDR, 0, what);
    }
    if (state === TCP_LISTEN) {
      const r = sys(nr.listen, fd, Number(isk.backlog));
      if (r < 0) throw new RestoreFault('files', `cannot listen on ${what}: errno ${-r}`);
    }
    if (udp && state === TCP_ESTABLISHED) {
      const peer = address(family, isk.dst_addr, Number(isk.dst_port));
      callWithAddress(nr.connect, fd, peer.sockaddr, `connect ${what} to ${peer.text}`);
    }
    if (Number(isk.flags) & O_NONBLOCK) sys(nr.fcntl, fd, F_SETFL, O_NONBLOCK);
    restoreFown(fd, isk.fown as MessageValue | undefined, what);
  } catch (error) {
    sys(nr.close, fd);
    throw error;
  }
  return fd;
}

/** An end of a connection as its segments carry it: an IPv4-mapped IPv6 address is IPv4 on the wire. */
function segmentEnd(bytes: Uint8Array, port: number): SegmentEnd {
  return { address: mappedIpv4(bytes) ?? bytes, port };
}

/** TCP_NODELAY, TCP_CORK and the keepalive timing (0: the kernel's default, left as it is). */
function setTcpOptions(fd: number, opts: MessageValue, what: string): void {
  if (opts.nodelay) setSocketInt(fd, IPPROTO_TCP, TCP_NODELAY, 1, what);
  if (opts.cork) setSocketInt(fd, IPPROTO_TCP, TCP_CORK, 1, what);
  if (opts.keepcnt) setSocketInt(fd, IPPROTO_TCP, TCP_KEEPCNT, Number(opts.keepcnt), what);
  if (opts.keepidle) setSocketInt(fd, IPPROTO_TCP, TCP_KEEPIDLE, Number(opts.keepidle), what);
  if (opts.keepintvl) setSocketInt(fd, IPPROTO_TCP, TCP_KEEPINTVL, Number(opts.keepintvl), what);
}

/** A socket address from the image's words and port: its sockaddr_in(6) and its text. */
function address(family: number, words: unknown, port: number): { bytes: Buffer; port: number; sockaddr: Buffer; text: string } {
  const length = family === AF_INET ? 4 : 16;
  const given = inetBytes(((words ?? []) as number[]).map(Number));
  const bytes = Buffer.alloc(length);
  given.copy(bytes, 0, 0, Math.min(length, given.length));
  // sockaddr_in: family, port (network order), address; sockaddr_in6: family, port, flowinfo, address, scope
  const sockaddr = Buffer.alloc(family === AF_INET ? 16 : 28);
  sockaddr.writeUInt16LE(family, 0);
  sockaddr.writeUInt16BE(port, 2);
  bytes.copy(sockaddr, family === AF_INET ? 4 : 8);
  return { bytes, port, sockaddr, text: describeInetAddress(bytes, port) };
}
