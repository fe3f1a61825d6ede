import type { ImageEntry } from '@criu-ts/images';
import { refuse } from '@criu-ts/subsystem';
import type { FdDumper, KindImage } from '../fd-dumper.js';
import { FD_TYPES } from '../file-table.js';
import { readFown } from '../fown.js';
import type { OpenFd } from '../open-fd.js';
import { readSocketState } from '../socket-state.js';
import { type UnixSocketInfo, unixSockets as askKernel } from '../unix-diag.js';

const TCP_ESTABLISHED = 1;
const TCP_LISTEN = 10;
const RCV_SHUTDOWN = 1;
const SOCK_DGRAM = 2;

/**
 * AF_UNIX sockets: UNIXSK entries (CRIU's unix_sk_entry) with the socket's type, state, name, peer,
 * options and owner, and its unread messages in sk-queues.img. What comes back: pairs connected to
 * each other within the tree (socketpair), with their queues and shutdowns; datagram sockets
 * connected to a named one of the tree; listening sockets with no connection waiting; sockets not
 * connected, bound to an abstract name or an absolute path, or to none. Refused by name: a
 * connection waiting to be accepted, a connected stream socket with a name (an accepted connection
 * or its client), a peer no dumped task holds, a relative path.
 */
export function unixSockets(): FdDumper {
  let kernel: Map<number, UnixSocketInfo> | undefined;
  const held = new Map<number, OpenFd>();
  const queues: ImageEntry[] = [];
  const inoOf = (fd: OpenFd) => Number(/^socket:\[(\d+)\]$/.exec(fd.target)?.[1]);
  /** Both unnamed and connected to each other: made again as a pair. */
  const pairedWith = (info: UnixSocketInfo) => {
    const peer = info.peer === 0 ? undefined : kernel!.get(info.peer);
    return peer !== undefined && peer.peer === info.ino && info.name.length === 0 && peer.name.length === 0;
  };
  const infoOf = (fd: OpenFd) => (/^socket:\[\d+\]$/.test(fd.target) ? (kernel ??= askKernel('fds')).get(inoOf(fd)) : undefined);
  return {
    name: 'unix socket',
    type: FD_TYPES.UNIXSK,
    field: 'usk',
    claims(fd) {
      const info = infoOf(fd);
      if (!info) return false;
      const what = `task ${fd.pid} fd ${fd.fd} is a unix socket`;
      const name = Buffer.from(info.name);
      const named = name.length > 0;
      if (info.pending.length > 0) refuse('fds', fd.pid, `${what} with ${info.pending.length} connection(s) waiting to be accepted: not supported yet`);
      if (named && name[0] !== 0 && name[0] !== 0x2f) refuse('fds', fd.pid, `${what} bound to the relative path ${describeName(name)}: not supported yet`);
      if (info.state === TCP_ESTABLISHED && named && info.type !== SOCK_DGRAM) {
        refuse('fds', fd.pid, `${what} connected under the name ${describeName(name)} (an accepted connection): not supported yet`);
      }
      // (a datagram socket some other one connected to is in this state too, with no peer of its own)
      if (info.state === TCP_ESTABLISHED && info.peer === 0 && info.type !== SOCK_DGRAM) {
        refuse('fds', fd.pid, `${what} connected to a socket still waiting to be accepted: not supported yet`);
      }
      return true;
    },
    key: (fd) => `usk:${inoOf(fd)}`,
    entry(fd, id) {
      const info = infoOf(fd)!;
      held.set(info.ino, fd);
      const listening = info.state === TCP_LISTEN;
      // a stream socket that is neither connected nor listening has no queue (reading it fails)
      const queued = info.type === SOCK_DGRAM || info.state === TCP_ESTABLISHED;
      const state = readSocketState(fd.pid, fd.fd, info.type, !queued ? 'none' : info.shutdown & RCV_SHUTDOWN ? 'shut' : 'open');
      // the restore queues a message again by sending it: through the other end of a pair, or to
      // the socket's name
      if (state.queue.length > 0 && !pairedWith(info) && info.name.length === 0) {
        refuse('fds', fd.pid, `task ${fd.pid} fd ${fd.fd} is a unix socket with no name and no pair, holding ${state.queue.length} unread message(s): not supported yet`);
      }
      for (const data of state.queue) queues.push({ message: { id_for: id, length: data.length }, type: 'sk_packet_entry', payload: data });
      const usk = {
        id,
        ino: info.ino,
        type: info.type,
        state: info.state,
        flags: fd.flags,
        uflags: 0,
        backlog: listening ? info.wqueue : 0,
        peer: info.peer,
        fown: readFown(fd),
        opts: state.opts,
        name: info.name,
      };
      return info.shutdown ? { ...usk, shutdown: info.shutdown } : usk;
    },
    images(): KindImage[] {
      for (const [ino, fd] of held) {
        const info = kernel!.get(ino)!;
        if (info.peer === 0) continue;
        const what = `task ${fd.pid} fd ${fd.fd} is a unix socket connected to socket:[${info.peer}]`;
        if (!held.has(info.peer)) refuse('fds', fd.pid, `${what}, which no dumped task holds: not supported yet`);
        // a pair comes back with socketpair, a datagram socket connects again to its peer's name
        const peer = kernel!.get(info.peer)!;
        if (!pairedWith(info) && peer.name.length === 0) refuse('fds', fd.pid, `${what}, which has no name and is connected elsewhere: not supported yet`);
      }
      return queues.length > 0 ? [{ name: 'sk-queues.img', magic: 'SK_QUEUES', entries: queues }] : [];
    },
  };
}

/** An abstract name as `@name`; a path as the kernel reports it ends in a NUL. */
function describeName(name: Buffer): string {
  if (name[0] === 0) return `@${name.subarray(1).toString()}`;
  const end = name.indexOf(0);
  return (end < 0 ? name : name.subarray(0, end)).toString();
}
