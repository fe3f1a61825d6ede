import { randomUUID } from 'node:crypto';
import type { MessageValue } from '@criu-ts/images';
import { addressOf, hostArch, kbuf, keepAlive, sys } from '@criu-ts/ptrace';
import { refuse } from '@criu-ts/subsystem';
import type { FdDumper } from '../fd-dumper.js';
import type { FilesDumpOptions } from '../files-dump-options.js';
import { FD_TYPES } from '../file-table.js';
import { readFown } from '../fown.js';
import type { OpenFd } from '../open-fd.js';
import { socketOptions } from '../socket-state.js';
import { withStolenFd } from '../stolen-fd.js';
import { TcpRepair } from '../tcp-repair.js';
import { describeInetAddress, inetWords } from '../../inet-address.js';
import { NetworkLock } from '../../network-lock.js';
import { isTcpConnection } from '../../tcp-fins.js';
import { synSentPeers } from '../inet-diag.js';
import { getSocketOption, socketIoctl } from '../socket-calls.js';
import {
  AF_INET, AF_INET6, FIONREAD, IPPROTO_IPV6, IPPROTO_TCP, IPPROTO_UDP, IPV6_V6ONLY, SOCK_DGRAM, SOCK_STREAM,
  SOL_SOCKET, SO_DOMAIN, SO_PROTOCOL, SO_TYPE, TCP_CLOSE, TCP_CORK, TCP_ESTABLISHED, TCP_INFO, TCP_KEEPCNT,
  TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_LISTEN, TCP_NODELAY, TCP_SYN_SENT, TIOCOUTQ,
} from '../../socket-constants.js';

const ENOTCONN = 107;
/** The kernel's TCP states by number, for messages. */
const TCP_STATE_NAMES = ['', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING'];

/** What an inet socket is, read through a copy of its fd. */
interface InetSocket {
  readonly family: number;
  readonly type: number;
  readonly proto: number;
  readonly state: number;
  readonly local: SocketAddress;
  readonly peer: SocketAddress | undefined;
  /** A listener's most connections waiting to be accepted, and how many wait now. */
  readonly backlog: number;
  readonly waiting: number;
  /** Bytes not read yet, and not sent yet. */
  readonly unread: number;
  readonly unsent: number;
  readonly v6only: boolean;
  readonly opts: MessageValue;
  /** A TCP socket's own options (tcp_opts_entry). */
  readonly tcpOpts: MessageValue | undefined;
}

interface SocketAddress {
  /** The address's bytes, in network order (4 or 16). */
  readonly address: Uint8Array;
  readonly port: number;
}

/**
 * AF_INET and AF_INET6 sockets of TCP and UDP: INETSK entries (CRIU's inet_sk_entry) with the
 * socket's family, protocol, state, addresses and ports, options and owner. What comes back: TCP
 * listeners (with their backlog), TCP sockets not connected (bound or not), UDP sockets bound or
 * connected, and with --tcp-established, established TCP connections (read in repair mode, see
 * TcpRepair). Everything is read through a copy of the fd in this process (pidfd_getfd), so the
 * kind claims a socket only once it knows it can dump it. Refused by name: an established TCP
 * connection without --tcp-established, one closing (FIN_WAIT, CLOSE_WAIT...), a listener with
 * connections waiting to be accepted, unread or unsent bytes of other sockets (UDP's datagrams
 * would be lost), other protocols (raw, SCTP...).
 */
export function inetSockets(options: FilesDumpOptions = {}): FdDumper {
  const seen = new Map<string, InetSocket>();
  const repair = new TcpRepair(new NetworkLock(options.networkLock ?? 'nftables', options.runId ?? randomUUID()));
  const socketOf = (fd: OpenFd) => seen.get(`${fd.pid}:${fd.fd}`)!;
  return {
    name: 'inet socket',
    type: FD_TYPES.INETSK,
    field: 'isk',
    claims(fd) {
      if (!/^socket:\[\d+\]$/.test(fd.target)) return false;
      const socket = withStolenFd(fd.pid, fd.fd, (local) => readInetSocket(local, fd));
      if (!socket) return false;
      checkDumpable(socket, fd, options.tcpEstablished ?? false);
      seen.set(`${fd.pid}:${fd.fd}`, socket);
      return true;
    },
    key: (fd) => `isk:${/\d+/.exec(fd.target)![0]}`,
    entry(fd, id) {
      const socket = socketOf(fd);
      const isk: MessageValue = {
        id,
        ino: Number(/\d+/.exec(fd.target)![0]),
        family: socket.family,
        type: socket.type,
        proto: socket.proto,
        state: socket.state,
        src_port: socket.local.port,
        dst_port: socket.peer?.port ?? 0,
        flags: fd.flags,
        backlog: socket.backlog,
        src_addr: inetWords(socket.local.address),
        dst_addr: inetWords(socket.peer?.address ?? new Uint8Array(socket.local.address.length)),
        fown: readFown(fd),
        opts: socket.opts,
      };
      if (socket.family === AF_INET6) isk.v6only = socket.v6only;
      if (socket.tcpOpts) isk.tcp_opts = socket.tcpOpts;
      if (socket.proto === IPPROTO_TCP && isTcpConnection(socket.state)) {
        const connection = { family: socket.family, local: socket.local.address, localPort: socket.local.port, peer: socket.peer!.address, peerPort: socket.peer!.port };
        repair.read(fd.pid, fd.fd, Number(isk.ino), connection, socket.state);
      }
      return isk;
    },
    images: () => repair.images(),
    verify: () => repair.verify(),
    end: (killed) => repair.end(killed),
  };
}

/** The socket behind `local` if it is an inet socket, else undefined (another kind's). */
function readInetSocket(local: number, fd: OpenFd): InetSocket | undefined {
  const family = getInt(local, SOL_SOCKET, SO_DOMAIN, fd);
  if (family !== AF_INET && family !== AF_INET6) return undefined;
  const type = getInt(local, SOL_SOCKET, SO_TYPE, fd);
  const proto = getInt(local, SOL_SOCKET, SO_PROTOCOL, fd);
  const what = `task ${fd.pid} fd ${fd.fd} is an ${family === AF_INET ? 'AF_INET' : 'AF_INET6'} socket`;
  const tcp = type === SOCK_STREAM && proto === IPPROTO_TCP;
  const udp = type === SOCK_DGRAM && proto === IPPROTO_UDP;
  if (!tcp && !udp) refuse('fds', fd.pid, `${what} of type ${type} and protocol ${proto}: only TCP and UDP sockets can be dumped yet`);
  const name = sockName(local, 'getsockname', family, fd)!;
  let peer = sockName(local, 'getpeername', family, fd);
  // tcp_info: state (byte 0); for a listener, tcpi_unacked (offset 24) counts the connections
  // waiting to be accepted and tcpi_sacked (offset 28) is its backlog
  const info = tcp ? getOption(local, IPPROTO_TCP, TCP_INFO, 104, fd) : undefined;
  const state = info ? info[0] : peer ? TCP_ESTABLISHED : TCP_CLOSE;
  // a connect in progress has no peer for getpeername yet: sock_diag knows it
  if (state === TCP_SYN_SENT) peer = synSentPeers('fds', family).get(Number(/\d+/.exec(fd.target)![0]));
  const listening = state === TCP_LISTEN;
  return {
    family,
    type,
    proto,
    state,
    local: name,
    peer,
    backlog: listening ? info!.readUInt32LE(28) : 0,
    waiting: listening ? info!.readUInt32LE(24) : 0,
    unread: listening ? 0 : ioctlInt(local, FIONREAD, fd),
    unsent: listening ? 0 : ioctlInt(local, TIOCOUTQ, fd),
    v6only: family === AF_INET6 && getInt(local, IPPROTO_IPV6, IPV6_V6ONLY, fd) !== 0,
    opts: socketOptions(local, fd.pid, fd.fd),
    tcpOpts: tcp ? tcpOptions(local, fd) : undefined,
  };
}

/** TCP_NODELAY and TCP_CORK, and the keepalive timing. */
function tcpOptions(local: number, fd: OpenFd): MessageValue {
  const int = (option: number) => getInt(local, IPPROTO_TCP, option, fd);
  const opts: MessageValue = { keepcnt: int(TCP_KEEPCNT), keepidle: int(TCP_KEEPIDLE), keepintvl: int(TCP_KEEPINTVL) };
  if (int(TCP_NODELAY)) opts.nodelay = true;
  if (int(TCP_CORK)) opts.cork = true;
  return opts;
}

/** `established`: --tcp-established, which takes established TCP connections (their queues included). */
function checkDumpable(socket: InetSocket, fd: OpenFd, established: boolean): void {
  const protocol = socket.proto === IPPROTO_TCP ? 'TCP' : 'UDP';
  const at = (address: SocketAddress) => describeInetAddress(address.address, address.port);
  const what = `task ${fd.pid} fd ${fd.fd} is a ${protocol} socket on ${at(socket.local)}`;
  if (socket.proto === IPPROTO_TCP && socket.state !== TCP_LISTEN && socket.state !== TCP_CLOSE) {
    const to = socket.peer ? ` connected to ${at(socket.peer)}` : '';
    const state = TCP_STATE_NAMES[socket.state] ?? socket.state;
    if (!isTcpConnection(socket.state) || !socket.peer) refuse('fds', fd.pid, `${what}${to} (${state}): only established, half-closed and connecting TCP connections can be dumped yet`);
    if (!established) refuse('fds', fd.pid, `${what}${to} (${state}): an established TCP connection is dumped only with --tcp-established`);
    return;
  }
  if (socket.waiting > 0) refuse('fds', fd.pid, `${what} listening, with ${socket.waiting} connection(s) waiting to be accepted: not supported yet`);
  if (socket.unread > 0) refuse('fds', fd.pid, `${what} holding ${socket.unread} unread bytes: not supported yet`);
  if (socket.unsent > 0) refuse('fds', fd.pid, `${what} holding ${socket.unsent} unsent bytes: not supported yet`);
}

/** The socket's own address, or its peer's (undefined when it has none). */
function sockName(local: number, call: 'getsockname' | 'getpeername', family: number, fd: OpenFd): SocketAddress | undefined {
  const address = kbuf(28);
  const length = kbuf(4);
  length.writeUInt32LE(address.length, 0);
  const r = sys(hostArch().syscalls[call], local, addressOf(address), addressOf(length));
  keepAlive(address, length);
  if (r === -ENOTCONN && call === 'getpeername') return undefined;
  if (r < 0) return refuse('fds', fd.pid, `${call} on fd ${fd.fd} of task ${fd.pid} failed: errno ${-r}`);
  // sockaddr_in: family, port (network order), address; sockaddr_in6: family, port, flowinfo, address
  const port = address.readUInt16BE(2);
  const bytes = family === AF_INET ? address.subarray(4, 8) : address.subarray(8, 24);
  return { address: Uint8Array.from(bytes), port };
}

function getInt(local: number, level: number, option: number, fd: OpenFd): number {
  return getOption(local, level, option, 4, fd).readInt32LE(0);
}

function getOption(local: number, level: number, option: number, size: number, fd: OpenFd): Buffer {
  const r = getSocketOption(local, level, option, size);
  if ('errno' in r) return refuse('fds', fd.pid, `cannot read option ${level}/${option} of the socket at fd ${fd.fd} of task ${fd.pid}: errno ${r.errno}`);
  return r.value;
}

function ioctlInt(local: number, request: number, fd: OpenFd): number {
  const r = socketIoctl(local, request);
  if ('errno' in r) return refuse('fds', fd.pid, `ioctl ${request.toString(16)} on the socket at fd ${fd.fd} of task ${fd.pid} failed: errno ${r.errno}`);
  return r.value;
}
