import { lstatSync } from 'node:fs';
import type { ImageEntry, MessageValue } from '@criu-ts/images';
import { refuse } from '@criu-ts/subsystem';
import type { FdDumper, KindImage } from '../fd-dumper.js';
import { FD_TYPES } from '../file-table.js';
import { readFown } from '../fown.js';
import type { OpenFd } from '../open-fd.js';
import { readSocketState } from '../socket-state.js';
import { describeUnixName, unixPath } from '../../unix-name.js';
import { type UnixSocketInfo, unixSockets as askKernel } from '../unix-diag.js';

const TCP_ESTABLISHED = 1;
const TCP_LISTEN = 10;
const RCV_SHUTDOWN = 1;
const SOCK_DGRAM = 2;

/**
 * AF_UNIX sockets: UNIXSK entries (CRIU's unix_sk_entry) with the socket's type, state, name, peer,
 * options and owner, and its unread messages in sk-queues.img. What comes back: pairs connected to
 * each other within the tree (socketpair, or an accepted connection and its client), with their
 * queues and shutdowns; listening sockets, with the connections of the tree still waiting on them;
 * datagram sockets connected to a named one of the tree; sockets not connected, bound to an
 * abstract name or an absolute path, or to none. A client whose connection waits to be accepted is
 * written with the listener as its peer, as the restore connects it again. Refused by name: a peer
 * or a waiting connection no dumped task holds, bytes sent on a connection not accepted yet, a
 * connection whose ends are both named with no listener of the tree to tell which was accepted, a
 * relative path.
 */
export function unixSockets(): FdDumper {
  let kernel: Map<number, UnixSocketInfo> | undefined;
  const held = new Map<number, { fd: OpenFd; peer: number }>();
  const queues: ImageEntry[] = [];
  const inoOf = (fd: OpenFd) => Number(/^socket:\[(\d+)\]$/.exec(fd.target)?.[1]);
  const infoOf = (fd: OpenFd) => (/^socket:\[\d+\]$/.test(fd.target) ? (kernel ??= askKernel('fds')).get(inoOf(fd)) : undefined);
  /** Whether the restore queues this socket's messages again through its peer: a stream connection or an unnamed pair. */
  const throughPeer = (info: UnixSocketInfo) => {
    // one whose peer is closed: the restore makes it a peer to send from, then closes it
    if (info.peer === 0) return info.state === TCP_ESTABLISHED || info.type === SOCK_DGRAM;
    const other = kernel!.get(info.peer);
    return info.state === TCP_ESTABLISHED && (info.type !== SOCK_DGRAM || (other?.peer === info.ino && info.name.length === 0 && other.name.length === 0));
  };
  /** The listener a client's connection waits on: the one whose pending connections list it. */
  const listenerOf = (ino: number) => [...kernel!.values()].find((s) => s.state === TCP_LISTEN && s.pending.includes(ino));
  return {
    name: 'unix socket',
    type: FD_TYPES.UNIXSK,
    field: 'usk',
    claims(fd) {
      const info = infoOf(fd);
      if (!info) return false;
      const name = Buffer.from(info.name);
      if (name.length > 0 && name[0] !== 0 && name[0] !== 0x2f) {
        refuse('fds', fd.pid, `task ${fd.pid} fd ${fd.fd} is a unix socket bound to the relative path ${describeUnixName(name)}: not supported yet`);
      }
      return true;
    },
    key: (fd) => `usk:${inoOf(fd)}`,
    entry(fd, id) {
      const info = infoOf(fd)!;
      const what = `task ${fd.pid} fd ${fd.fd} is a unix socket`;
      let peer = info.peer;
      // a stream client whose connection waits to be accepted: its peer has no inode yet (with no
      // listener waiting for it, its peer is closed: it comes back alone, to read what is left)
      const listener = info.state === TCP_ESTABLISHED && peer === 0 && info.type !== SOCK_DGRAM ? listenerOf(info.ino) : undefined;
      if (listener) {
        if (info.wqueue > 0) refuse('fds', fd.pid, `${what} that sent ${info.wqueue} bytes on a connection not accepted yet: not supported yet`);
        peer = listener.ino;
      }
      held.set(info.ino, { fd, peer });
      const listening = info.state === TCP_LISTEN;
      // a stream socket that is neither connected nor listening has no queue (reading it fails)
      const queued = info.type === SOCK_DGRAM || info.state === TCP_ESTABLISHED;
      const state = readSocketState(fd.pid, fd.fd, info.type, !queued ? 'none' : info.shutdown & RCV_SHUTDOWN ? 'shut' : 'open');
      // the restore queues a message again by sending it: through the other end of a connection,
      // or to the socket's name
      if (state.queue.length > 0 && !throughPeer(info) && info.name.length === 0) {
        refuse('fds', fd.pid, `${what} with no name and no peer, holding ${state.queue.length} unread message(s): not supported yet`);
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
        peer,
        fown: readFown(fd),
        opts: state.opts,
        name: info.name,
      };
      const file = socketFile(info);
      return {
        ...usk,
        ...(info.shutdown ? { shutdown: info.shutdown } : {}),
        ...(file === 'deleted' ? { deleted: true } : file ? { file_perms: file } : {}),
      };
    },
    images(): KindImage[] {
      const names = (ino: number) => kernel!.get(ino)!.name.length > 0;
      const listeners = [...held.keys()].filter((ino) => kernel!.get(ino)!.state === TCP_LISTEN);
      for (const [ino, { fd, peer }] of held) {
        const info = kernel!.get(ino)!;
        const what = `task ${fd.pid} fd ${fd.fd} is a unix socket`;
        for (const waiting of info.pending) {
          if (!held.has(waiting)) refuse('fds', fd.pid, `${what} with a connection waiting from socket:[${waiting}], which no dumped task holds: not supported yet`);
        }
        if (peer === 0) continue;
        if (!held.has(peer)) refuse('fds', fd.pid, `${what} connected to socket:[${peer}], which no dumped task holds: not supported yet`);
        const other = kernel!.get(peer)!;
        if (info.type === SOCK_DGRAM) {
          // a datagram socket connects again to its peer's name, unless the two are an unnamed pair
          const pair = other.peer === ino && !names(ino) && !names(peer);
          if (!pair && !names(peer)) {
            refuse('fds', fd.pid, `${what} connected to socket:[${peer}], which has no name and is connected elsewhere: not supported yet`);
          }
        } else if (other.state !== TCP_LISTEN && names(ino) && names(peer)) {
          // both ends of a connection named: the accepted one has its listener's name
          const listened = listeners.some((l) => [ino, peer].some((end) => Buffer.from(kernel!.get(l)!.name).equals(Buffer.from(kernel!.get(end)!.name))));
          if (!listened) refuse('fds', fd.pid, `${what} connected to socket:[${peer}], both named, with no listener of the tree to tell which end was accepted: not supported yet`);
        }
      }
      return queues.length > 0 ? [{ name: 'sk-queues.img', magic: 'SK_QUEUES', entries: queues }] : [];
    },
  };
}

/**
 * The mode and owner of the socket file a path name made, or 'deleted' when the path no longer
 * leads to it (none for an abstract name).
 */
function socketFile(info: UnixSocketInfo): MessageValue | 'deleted' | undefined {
  if (info.name.length === 0 || info.name[0] === 0) return undefined;
  try {
    const st = lstatSync(unixPath(info.name));
    if (!st.isSocket() || st.ino !== info.fileIno) return 'deleted';
    return { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  } catch {
    return 'deleted';
  }
}
