import { chmodSync, existsSync, lchownSync, lstatSync, mkdirSync, rmdirSync, rmSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import type { MessageValue } from '@criu-ts/images';
import { addressOf, hostArch, kbuf, keepAlive, sys } from '@criu-ts/ptrace';
import { RestoreFault, type RestorePlan } from '@criu-ts/subsystem';
import type { FdRestorer } from '../fd-restorer.js';
import { restoreFown } from '../fown.js';
import { setSocketOptions } from '../socket-options.js';
import { readKindImage } from '../kind-image.js';
import { describeUnixName, unixPath } from '../../unix-name.js';

const AF_UNIX = 1;
const SOCK_CLOEXEC = 0o2000000;
const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;
const O_NONBLOCK = 0o4000;
const F_SETFL = 4;
const TCP_ESTABLISHED = 1;
const TCP_LISTEN = 10;
const SOCK_STREAM = 1;
const SOCK_DGRAM = 2;
/** sk_shutdown bits, and how(2) of shutdown for them. */
const RCV_SHUTDOWN = 1;
const SEND_SHUTDOWN = 2;
const SHUT_HOW = [-1, 0, 1, 2];

/**
 * AF_UNIX sockets, made in this process and passed in. Two unnamed sockets connected to each other
 * are made once with socketpair. An accepted connection is made by connecting its client to the
 * listener's name and accepting it, through the listener of the tree if it has one (made first,
 * with every connection accepted from it, before any waiting one connects again), else through a
 * listener of our own for the moment. A client whose connection waited to be accepted connects to
 * its listener again. Each end of a connection gets its unread messages sent again through the
 * other end, in order (a stream's bytes at once, each datagram on its own), then is shut down as it
 * was. Any other socket is made alone: bound to its name if it had one (a path's stale socket file,
 * the dumped socket's, is removed first), its unread datagrams sent to that name, listening again
 * with its backlog if it did, and a datagram socket connected to its peer's name, the peer made
 * first if it is not yet. Options: buffer sizes, timeouts, SO_PASSCRED and the other flags.
 */
export function unixSockets(): FdRestorer {
  const nr = hostArch().syscalls;
  let byIno: Map<number, MessageValue> | undefined;
  let queues: Map<number, Uint8Array[]> | undefined;
  /** Sockets made but not handed out yet (a connection's other end, a peer made first), by inode. */
  const waiting = new Map<number, number>();
  /** Every socket made, by inode. */
  const made = new Set<number>();
  const deleted = new DeletedNames();
  const take = (ino: number) => {
    const fd = waiting.get(ino);
    waiting.delete(ino);
    return fd;
  };
  /** A socket its connection's maker made: the listener, or the other end. */
  const madeWith = (usk: MessageValue) => {
    const fd = take(Number(usk.ino));
    if (fd === undefined) throw new RestoreFault('files', `unix socket ${usk.ino} was not made with its connection (its peer ${usk.peer} does not name it)`);
    return fd;
  };
  const ensureMade = (usk: MessageValue) => {
    if (!made.has(Number(usk.ino))) waiting.set(Number(usk.ino), make(usk));
  };
  const keep = (ends: [number, number], accepted: MessageValue, client: MessageValue) => {
    made.add(Number(accepted.ino));
    made.add(Number(client.ino));
    waiting.set(Number(accepted.ino), ends[0]);
    waiting.set(Number(client.ino), ends[1]);
  };
  const make = (usk: MessageValue): number => {
    made.add(Number(usk.ino));
    const peer = byIno!.get(Number(usk.peer));
    switch (kindOf(usk, peer, byIno!)) {
      case 'pair': {
        made.add(Number(peer!.ino));
        const [mine, theirs] = makePair(usk, peer!, queues!);
        waiting.set(Number(peer!.ino), theirs);
        return mine;
      }
      case 'accepted': {
        const [accepted, client] = Number(usk.ino) === acceptedEnd(usk, peer!, byIno!) ? [usk, peer!] : [peer!, usk];
        const listener = listenerOf(accepted, byIno!);
        // the listener makes every connection accepted from it, this one too
        if (listener) ensureMade(listener);
        else keep(makeConnection(accepted, client, undefined, queues!, deleted), accepted, client);
        return madeWith(usk);
      }
      case 'orphan':
        return makeOrphan(usk, queues!);
      case 'waiting':
        // its listener connects it again, after the connections it accepted
        ensureMade(peer!);
        return madeWith(usk);
      case 'single': {
        // an unnamed datagram socket with messages to read had a peer, closed since
        if ((usk.name as Uint8Array).length === 0 && !peer && queues!.get(Number(usk.id))?.length) return makeOrphan(usk, queues!);
        const fd = makeSingle(usk, queues!, deleted);
        if (Number(usk.state) !== TCP_LISTEN) return fd;
        try {
          for (const [accepted, client] of acceptedFrom(usk, byIno!)) keep(makeConnection(accepted, client, fd, queues!, deleted), accepted, client);
          for (const client of waitingOn(usk, byIno!)) {
            made.add(Number(client.ino));
            const clientFd = makeSingle(client, queues!, deleted);
            waiting.set(Number(client.ino), clientFd);
            connect(clientFd, usk.name as Uint8Array, `unix socket ${client.ino}`);
          }
        } catch (error) {
          sys(nr.close, fd);
          throw error;
        }
        return fd;
      }
    }
  };
  return {
    field: 'usk',
    open(usk: MessageValue, plan: RestorePlan) {
      byIno ??= socketsOf(plan);
      queues ??= queuesOf(plan);
      const ino = Number(usk.ino);
      const what = `unix socket ${ino}`;
      if (Number(usk.uflags ?? 0) !== 0) throw new RestoreFault('files', `${what} is marked 0x${Number(usk.uflags).toString(16)} (external, inherited...): not supported yet`);
      const peer = usk.peer ? byIno.get(Number(usk.peer)) : undefined;
      if (usk.peer && !peer) throw new RestoreFault('files', `${what} is connected to unix socket ${usk.peer}, which files.img lacks`);
      const fd = take(ino) ?? make(usk);
      try {
        if (Number(usk.type) === SOCK_DGRAM && peer && !paired(usk, peer)) {
          // a datagram socket connected by name: its peer is bound before it connects
          ensureMade(peer);
          connect(fd, peer.name as Uint8Array, what);
        }
        if (Number(usk.flags) & O_NONBLOCK) sys(nr.fcntl, fd, F_SETFL, O_NONBLOCK);
        restoreFown(fd, usk.fown as MessageValue | undefined, what);
      } catch (error) {
        sys(nr.close, fd);
        throw error;
      }
      return fd;
    },
    close() {
      for (const fd of waiting.values()) sys(nr.close, fd);
      waiting.clear();
      made.clear();
      deleted.remove();
    },
  };
}

/**
 * How a socket is made: with its peer as an unnamed pair, as one end of an accepted connection, as
 * a client waiting on a listener, as a connection whose peer is closed, or alone. A connected stream socket that is none of these (in
 * images of another dumper) is refused.
 */
function kindOf(usk: MessageValue, peer: MessageValue | undefined, byIno: Map<number, MessageValue>): 'pair' | 'accepted' | 'waiting' | 'orphan' | 'single' {
  const stream = Number(usk.type) !== SOCK_DGRAM;
  if (Number(usk.state) !== TCP_ESTABLISHED || !peer) return Number(usk.state) === TCP_ESTABLISHED && stream ? 'orphan' : 'single';
  if (paired(usk, peer)) return 'pair';
  if (!stream) return 'single';
  if (Number(peer.state) === TCP_LISTEN) return 'waiting';
  if (Number(peer.peer) === Number(usk.ino) && acceptedEnd(usk, peer, byIno) !== undefined) return 'accepted';
  throw new RestoreFault('files', `unix socket ${usk.ino} is a connected stream socket whose peer ${peer.ino} is connected elsewhere: not supported yet`);
}

/** Which end of a connection was accepted: the named one, or of two named, the one a listener has the name of. */
function acceptedEnd(a: MessageValue, b: MessageValue, byIno: Map<number, MessageValue>): number | undefined {
  const named = [a, b].filter((end) => (end.name as Uint8Array).length > 0);
  const accepted = named.length === 1 ? named[0] : named.find((end) => listenerOf(end, byIno) !== undefined);
  return accepted === undefined ? undefined : Number(accepted.ino);
}

/** The listening socket of the images with the name (and type) an accepted socket has. */
function listenerOf(accepted: MessageValue, byIno: Map<number, MessageValue>): MessageValue | undefined {
  const name = Buffer.from(accepted.name as Uint8Array);
  return [...byIno.values()].find((s) => Number(s.state) === TCP_LISTEN && Number(s.type) === Number(accepted.type) && name.equals(Buffer.from(s.name as Uint8Array)));
}

/** The clients whose connections wait on `listener`. */
function waitingOn(listener: MessageValue, byIno: Map<number, MessageValue>): MessageValue[] {
  return [...byIno.values()].filter((usk) => Number(usk.peer) === Number(listener.ino) && kindOf(usk, listener, byIno) === 'waiting');
}

/** The connections accepted from `listener`, as [accepted end, client]. */
function acceptedFrom(listener: MessageValue, byIno: Map<number, MessageValue>): [MessageValue, MessageValue][] {
  const out: [MessageValue, MessageValue][] = [];
  for (const usk of byIno.values()) {
    const peer = byIno.get(Number(usk.peer));
    if (!peer || kindOf(usk, peer, byIno) !== 'accepted') continue;
    if (acceptedEnd(usk, peer, byIno) === Number(usk.ino) && listenerOf(usk, byIno) === listener) out.push([usk, peer]);
  }
  return out;
}

/**
 * An accepted connection: a client (bound to its own name if it had one) connects to the accepted
 * end's name and `listener` (or one of ours, made for the moment) accepts it; then the queues and
 * shutdowns. Returns [accepted end, client].
 */
function makeConnection(
  accepted: MessageValue,
  client: MessageValue,
  listener: number | undefined,
  queues: Map<number, Uint8Array[]>,
  deleted: DeletedNames,
): [number, number] {
  const nr = hostArch().syscalls;
  const what = `unix sockets ${accepted.ino} and ${client.ino}`;
  const temporary = listener === undefined ? makeSingle({ ...accepted, state: TCP_LISTEN, backlog: 1, shutdown: 0 }, new Map(), deleted) : undefined;
  const ends: number[] = [];
  try {
    // made alone as not connected: its name, options; queue and shutdown come below
    const clientFd = makeSingle({ ...client, state: 0, shutdown: 0 }, new Map(), deleted);
    ends.push(clientFd);
    connect(clientFd, accepted.name as Uint8Array, what);
    const acceptedFd = sys(nr.accept4, listener ?? temporary!, 0, 0, SOCK_CLOEXEC);
    if (acceptedFd < 0) throw new RestoreFault('files', `cannot accept the connection of ${what} again: errno ${-acceptedFd}`);
    ends.push(acceptedFd);
    setOptions(acceptedFd, accepted);
    for (const data of queues.get(Number(accepted.id)) ?? []) send(clientFd, data, accepted);
    for (const data of queues.get(Number(client.id)) ?? []) send(acceptedFd, data, client);
    shutdown(acceptedFd, accepted);
    shutdown(clientFd, client);
    return [acceptedFd, clientFd];
  } catch (error) {
    for (const fd of ends) sys(nr.close, fd);
    throw error;
  } finally {
    if (temporary !== undefined) sys(nr.close, temporary);
  }
}

/**
 * A socket whose peer is closed: made as one end of a pair whose other end sends it what it had left
 * to read, then closes.
 */
function makeOrphan(usk: MessageValue, queues: Map<number, Uint8Array[]>): number {
  const nr = hostArch().syscalls;
  const [fd, peer] = socketPair(Number(usk.type), `unix socket ${usk.ino}`);
  try {
    setOptions(fd, usk);
    for (const data of queues.get(Number(usk.id)) ?? []) send(peer, data, usk);
    sys(nr.close, peer);
    shutdown(fd, usk);
    return fd;
  } catch (error) {
    sys(nr.close, fd);
    sys(nr.close, peer);
    throw error;
  }
}

function socketPair(type: number, what: string): [number, number] {
  const fds = kbuf(8);
  const r = sys(hostArch().syscalls.socketpair, AF_UNIX, type | SOCK_CLOEXEC, 0, addressOf(fds));
  if (r < 0) throw new RestoreFault('files', `socketpair for ${what}: errno ${-r}`);
  return [fds.readInt32LE(0), fds.readInt32LE(4)];
}

/** Two unnamed sockets connected to each other: made again with socketpair. */
function paired(usk: MessageValue, peer: MessageValue | undefined): boolean {
  return peer !== undefined && Number(peer.peer) === Number(usk.ino) && (usk.name as Uint8Array).length === 0 && (peer.name as Uint8Array).length === 0;
}

function connect(fd: number, name: Uint8Array, what: string): void {
  const address = sockaddr(name);
  const r = sys(hostArch().syscalls.connect, fd, addressOf(address), address.length);
  keepAlive(address);
  if (r < 0) throw new RestoreFault('files', `cannot connect ${what} to ${describeUnixName(name)} again: errno ${-r}`);
}

/** Every unix socket of files.img by inode: a pair's ends find each other through it. */
function socketsOf(plan: RestorePlan): Map<number, MessageValue> {
  const out = new Map<number, MessageValue>();
  for (const file of plan.files.values()) if (file.usk) out.set(Number((file.usk as MessageValue).ino), file.usk as MessageValue);
  return out;
}

/** sk-queues.img: each socket's unread messages by its file id, oldest first. */
function queuesOf(plan: RestorePlan): Map<number, Uint8Array[]> {
  const out = new Map<number, Uint8Array[]>();
  for (const { message, payload } of readKindImage(plan.imagesDir, 'sk-queues.img') ?? []) {
    const id = Number(message.id_for);
    if (!out.has(id)) out.set(id, []);
    out.get(id)!.push(payload as Uint8Array);
  }
  return out;
}

/** Both ends of a connected pair, `usk`'s first, filled and shut down as they were. */
function makePair(usk: MessageValue, peer: MessageValue, queues: Map<number, Uint8Array[]>): [number, number] {
  const nr = hostArch().syscalls;
  const ends = socketPair(Number(usk.type), `unix sockets ${usk.ino} and ${peer.ino}`);
  try {
    setOptions(ends[0], usk);
    setOptions(ends[1], peer);
    // what one end had to read, its peer sends again
    for (const data of queues.get(Number(usk.id)) ?? []) send(ends[1], data, usk);
    for (const data of queues.get(Number(peer.id)) ?? []) send(ends[0], data, peer);
    shutdown(ends[0], usk);
    shutdown(ends[1], peer);
  } catch (error) {
    for (const fd of ends) sys(nr.close, fd);
    throw error;
  }
  return ends;
}

/** A socket not made as a pair: bound to its name if it had one, listening if it did, not connected yet. */
function makeSingle(usk: MessageValue, queues: Map<number, Uint8Array[]>, deleted: DeletedNames): number {
  const nr = hostArch().syscalls;
  const what = `unix socket ${usk.ino}`;
  const fd = sys(nr.socket, AF_UNIX, Number(usk.type) | SOCK_CLOEXEC, 0);
  if (fd < 0) throw new RestoreFault('files', `cannot make ${what}: errno ${-fd}`);
  try {
    setOptions(fd, usk);
    const name = usk.name as Uint8Array;
    if (name.length > 0) {
      if (usk.deleted) deleted.prepare(name, what);
      else removeStaleSocket(name, what);
      const address = sockaddr(name);
      const bound = sys(nr.bind, fd, addressOf(address), address.length);
      keepAlive(address);
      if (bound < 0) throw new RestoreFault('files', `cannot bind ${what} to ${describeUnixName(name)}: errno ${-bound}`);
      restoreFilePerms(name, usk.file_perms as MessageValue | undefined, what);
    }
    if (Number(usk.state) === TCP_LISTEN) {
      const listening = sys(nr.listen, fd, Number(usk.backlog));
      if (listening < 0) throw new RestoreFault('files', `${what} cannot listen again: errno ${-listening}`);
    }
    const queue = queues.get(Number(usk.id)) ?? [];
    if (queue.length > 0) sendTo(name, queue, usk);
    shutdown(fd, usk);
    return fd;
  } catch (error) {
    sys(nr.close, fd);
    throw error;
  }
}

/** Datagrams for an unconnected socket, sent to its name from a socket of our own. */
function sendTo(name: Uint8Array, queue: readonly Uint8Array[], usk: MessageValue): void {
  const nr = hostArch().syscalls;
  const sender = sys(nr.socket, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sender < 0) throw new RestoreFault('files', `cannot make a socket to queue the messages of unix socket ${usk.ino}: errno ${-sender}`);
  const address = sockaddr(name);
  try {
    for (const data of queue) {
      const bytes = kbuf(Math.max(data.length, 1));
      bytes.set(data);
      const n = sys(nr.sendto, sender, addressOf(bytes), data.length, MSG_DONTWAIT | MSG_NOSIGNAL, addressOf(address), address.length);
      keepAlive(bytes, address);
      if (n !== data.length) throw new RestoreFault('files', `cannot queue a message of ${data.length} bytes on unix socket ${usk.ino} again: ${n < 0 ? `errno ${-n}` : `${n} sent`}`);
    }
  } finally {
    sys(nr.close, sender);
  }
}

/** Sends `data` through `fd` to its peer, whose queue it was in (`usk`, for errors). */
function send(fd: number, data: Uint8Array, usk: MessageValue): void {
  const nr = hostArch().syscalls;
  const stream = Number(usk.type) === SOCK_STREAM;
  const bytes = kbuf(Math.max(data.length, 1));
  bytes.set(data);
  // a stream may take the bytes in several sends; a datagram goes whole or not at all
  let done = 0;
  do {
    const n = sys(nr.sendto, fd, addressOf(bytes) + BigInt(done), data.length - done, MSG_DONTWAIT | MSG_NOSIGNAL, 0, 0);
    if (n < 0) throw new RestoreFault('files', `cannot queue ${data.length} unread bytes on unix socket ${usk.ino} again: errno ${-n}`);
    done += n;
  } while (stream && done < data.length);
  keepAlive(bytes);
}

function shutdown(fd: number, usk: MessageValue): void {
  const mask = Number(usk.shutdown ?? 0) & (RCV_SHUTDOWN | SEND_SHUTDOWN);
  if (mask === 0) return;
  const r = sys(hostArch().syscalls.shutdown, fd, SHUT_HOW[mask]);
  if (r < 0) throw new RestoreFault('files', `cannot shut unix socket ${usk.ino} down again: errno ${-r}`);
}

/** The options of `usk`: buffer sizes, timeouts, SO_PASSCRED and the other flags. */
function setOptions(fd: number, usk: MessageValue): void {
  setSocketOptions(fd, (usk.opts ?? {}) as MessageValue, `unix socket ${usk.ino}`);
}

/** struct sockaddr_un for `name`: an abstract name exactly as long as it is, a path up to its NUL. */
function sockaddr(name: Uint8Array): Buffer {
  const bytes = name[0] === 0 ? name : Buffer.from(unixPath(name) + '\0');
  const address = kbuf(2 + bytes.length);
  address.writeUInt16LE(AF_UNIX, 0);
  address.set(bytes, 2);
  return address;
}

/** The mode and owner the socket file had. */
function restoreFilePerms(name: Uint8Array, perms: MessageValue | undefined, what: string): void {
  if (!perms || name[0] === 0) return;
  try {
    chmodSync(unixPath(name), Number(perms.mode) & 0o7777);
    lchownSync(unixPath(name), Number(perms.uid), Number(perms.gid));
  } catch (error) {
    throw new RestoreFault('files', `cannot give the file of ${what} its mode and owner: ${(error as Error).message}`);
  }
}

/**
 * The paths of sockets whose files were deleted: bound again (their names are what the sockets
 * report), with any directory missing made for the moment, and taken away again once every socket
 * is made (connections to them need the file until then).
 */
class DeletedNames {
  private readonly paths: string[] = [];
  private readonly dirs: string[] = [];

  prepare(name: Uint8Array, what: string): void {
    if (name[0] === 0) return;
    const path = unixPath(name);
    if (existsSync(path)) throw new RestoreFault('files', `${what} was bound to ${path}, deleted since, where there is now another file: not supported yet`);
    const missing: string[] = [];
    for (let dir = dirname(path); !existsSync(dir); dir = dirname(dir)) missing.unshift(dir);
    for (const dir of missing) {
      mkdirSync(dir);
      this.dirs.push(dir);
    }
    this.paths.push(path);
  }

  remove(): void {
    for (const path of this.paths.splice(0)) rmSync(path, { force: true });
    for (const dir of this.dirs.splice(0).reverse()) {
      try {
        rmdirSync(dir);
      } catch {
        // something else was made in it meanwhile: it stays
      }
    }
  }
}

/** The socket file a dumped socket left at its path goes; anything else there is in the way. */
function removeStaleSocket(name: Uint8Array, what: string): void {
  if (name[0] === 0) return;
  const path = unixPath(name);
  try {
    if (!lstatSync(path).isSocket()) throw new RestoreFault('files', `${what} is bound to ${path}, where there is now something other than a socket`);
  } catch (error) {
    if (error instanceof RestoreFault) throw error;
    return;
  }
  unlinkSync(path);
}
