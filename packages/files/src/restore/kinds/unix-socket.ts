import { lstatSync, unlinkSync } from 'node:fs';
import type { MessageValue } from '@criu-ts/images';
import { addressOf, hostArch, kbuf, keepAlive, sys } from '@criu-ts/ptrace';
import { RestoreFault, type RestorePlan } from '@criu-ts/subsystem';
import type { FdRestorer } from '../fd-restorer.js';
import { restoreFown } from '../fown.js';
import { readKindImage } from '../kind-image.js';

const AF_UNIX = 1;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_PASSCRED = 16;
const SO_RCVTIMEO = 20;
const SO_SNDTIMEO = 21;
const SO_SNDBUFFORCE = 32;
const SO_RCVBUFFORCE = 33;
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
 * are made once with socketpair; each end's unread messages are sent again through the other end,
 * in order (a stream's bytes at once, each datagram on its own), then each end is shut down as it
 * was. Any other socket is made alone: bound to its name if it had one (a path's stale socket
 * file, the dumped socket's, is removed first), its unread datagrams sent to that name, listening
 * again with its backlog if it did, and a datagram socket connected to its peer's name, the peer
 * made first if it is not yet. Options: buffer sizes, timeouts, SO_PASSCRED.
 */
export function unixSockets(): FdRestorer {
  const nr = hostArch().syscalls;
  let byIno: Map<number, MessageValue> | undefined;
  let queues: Map<number, Uint8Array[]> | undefined;
  /** Sockets made but not handed out yet (a pair's other end, a peer made to connect to), by inode. */
  const waiting = new Map<number, number>();
  /** Every socket made, by inode. */
  const made = new Set<number>();
  const make = (usk: MessageValue): number => {
    made.add(Number(usk.ino));
    const peer = byIno!.get(Number(usk.peer));
    if (Number(usk.state) !== TCP_ESTABLISHED || !paired(usk, peer)) return makeSingle(usk, queues!);
    made.add(Number(peer!.ino));
    const [mine, theirs] = makePair(usk, peer!, queues!);
    waiting.set(Number(peer!.ino), theirs);
    return mine;
  };
  return {
    field: 'usk',
    open(usk: MessageValue, plan: RestorePlan) {
      byIno ??= socketsOf(plan);
      queues ??= queuesOf(plan);
      const ino = Number(usk.ino);
      const what = `unix socket ${ino}`;
      const peer = usk.peer ? byIno.get(Number(usk.peer)) : undefined;
      if (usk.peer && !peer) throw new RestoreFault('files', `${what} is connected to unix socket ${usk.peer}, which files.img lacks`);
      checkSupported(usk, peer, what);
      const fd = waiting.get(ino) ?? make(usk);
      waiting.delete(ino);
      try {
        if (peer && !paired(usk, peer)) {
          // a datagram socket connected by name: its peer is bound before it connects
          if (!made.has(Number(peer.ino))) waiting.set(Number(peer.ino), make(peer));
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
    },
  };
}

/**
 * What images of other dumpers may hold and this restore cannot make (criu-ts's own dump refuses
 * them): an accepted stream connection or its client, an external or inherited socket (uflags).
 */
function checkSupported(usk: MessageValue, peer: MessageValue | undefined, what: string): void {
  if (Number(usk.uflags ?? 0) !== 0) throw new RestoreFault('files', `${what} is marked 0x${Number(usk.uflags).toString(16)} (external, inherited...): not supported yet`);
  const connected = Number(usk.state) === TCP_ESTABLISHED;
  if (connected && Number(usk.type) !== SOCK_DGRAM && !paired(usk, peer)) {
    throw new RestoreFault('files', `${what} is a connected stream socket that is not one of an unnamed pair (an accepted connection): not supported yet`);
  }
}

/** Two unnamed sockets connected to each other: made again with socketpair. */
function paired(usk: MessageValue, peer: MessageValue | undefined): boolean {
  return peer !== undefined && Number(peer.peer) === Number(usk.ino) && (usk.name as Uint8Array).length === 0 && (peer.name as Uint8Array).length === 0;
}

function connect(fd: number, name: Uint8Array, what: string): void {
  const address = sockaddr(name);
  const r = sys(hostArch().syscalls.connect, fd, addressOf(address), address.length);
  keepAlive(address);
  if (r < 0) throw new RestoreFault('files', `cannot connect ${what} to ${describeName(name)} again: errno ${-r}`);
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
  const fds = kbuf(8);
  const r = sys(nr.socketpair, AF_UNIX, Number(usk.type) | SOCK_CLOEXEC, 0, addressOf(fds));
  if (r < 0) throw new RestoreFault('files', `socketpair for unix sockets ${usk.ino} and ${peer.ino}: errno ${-r}`);
  const ends: [number, number] = [fds.readInt32LE(0), fds.readInt32LE(4)];
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
function makeSingle(usk: MessageValue, queues: Map<number, Uint8Array[]>): number {
  const nr = hostArch().syscalls;
  const what = `unix socket ${usk.ino}`;
  const fd = sys(nr.socket, AF_UNIX, Number(usk.type) | SOCK_CLOEXEC, 0);
  if (fd < 0) throw new RestoreFault('files', `cannot make ${what}: errno ${-fd}`);
  try {
    setOptions(fd, usk);
    const name = usk.name as Uint8Array;
    if (name.length > 0) {
      removeStaleSocket(name, what);
      const address = sockaddr(name);
      const bound = sys(nr.bind, fd, addressOf(address), address.length);
      keepAlive(address);
      if (bound < 0) throw new RestoreFault('files', `cannot bind ${what} to ${describeName(name)}: errno ${-bound}`);
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

/**
 * Buffer sizes (the kernel doubles what it is given: half of what getsockopt showed), send and
 * receive timeouts, SO_PASSCRED.
 */
function setOptions(fd: number, usk: MessageValue): void {
  const opts = (usk.opts ?? {}) as MessageValue;
  const what = `unix socket ${usk.ino}`;
  const set = (option: number, value: Buffer) => {
    const r = sys(hostArch().syscalls.setsockopt, fd, SOL_SOCKET, option, addressOf(value), value.length);
    keepAlive(value);
    if (r < 0) throw new RestoreFault('files', `cannot set option ${option} of ${what}: errno ${-r}`);
  };
  const setInt = (option: number, value: number) => {
    const buffer = kbuf(4);
    buffer.writeInt32LE(value, 0);
    set(option, buffer);
  };
  const setTimeval = (option: number, sec: unknown, usec: unknown) => {
    if (!sec && !usec) return;
    const buffer = kbuf(16);
    buffer.writeBigUInt64LE(BigInt((sec as bigint | number | undefined) ?? 0), 0);
    buffer.writeBigUInt64LE(BigInt((usec as bigint | number | undefined) ?? 0), 8);
    set(option, buffer);
  };
  if (opts.so_sndbuf !== undefined) setInt(SO_SNDBUFFORCE, Math.floor(Number(opts.so_sndbuf) / 2));
  if (opts.so_rcvbuf !== undefined) setInt(SO_RCVBUFFORCE, Math.floor(Number(opts.so_rcvbuf) / 2));
  setTimeval(SO_SNDTIMEO, opts.so_snd_tmo_sec, opts.so_snd_tmo_usec);
  setTimeval(SO_RCVTIMEO, opts.so_rcv_tmo_sec, opts.so_rcv_tmo_usec);
  if (opts.so_passcred) setInt(SO_PASSCRED, 1);
}

/** struct sockaddr_un for `name`: an abstract name exactly as long as it is, a path up to its NUL. */
function sockaddr(name: Uint8Array): Buffer {
  const bytes = name[0] === 0 ? name : Buffer.from(pathOf(name) + '\0');
  const address = kbuf(2 + bytes.length);
  address.writeUInt16LE(AF_UNIX, 0);
  address.set(bytes, 2);
  return address;
}

/** A path name as the kernel reports it ends in a NUL. */
function pathOf(name: Uint8Array): string {
  const end = name.indexOf(0);
  return Buffer.from(end < 0 ? name : name.subarray(0, end)).toString();
}

/** The socket file a dumped socket left at its path goes; anything else there is in the way. */
function removeStaleSocket(name: Uint8Array, what: string): void {
  if (name[0] === 0) return;
  const path = pathOf(name);
  try {
    if (!lstatSync(path).isSocket()) throw new RestoreFault('files', `${what} is bound to ${path}, where there is now something other than a socket`);
  } catch (error) {
    if (error instanceof RestoreFault) throw error;
    return;
  }
  unlinkSync(path);
}

function describeName(name: Uint8Array): string {
  return name[0] === 0 ? `@${Buffer.from(name.subarray(1)).toString()}` : pathOf(name);
}
