import * as E from 'fp-ts/lib/Either.js';
import type { Arch } from './arch.js';
import { attempt } from './either.js';
import { fail, type PtraceError } from './errors.js';
import { addressOf, kbuf, keepAlive, NR, sys } from './libc.js';
import { readMemoryRaw, writeMemoryRaw } from './memory.js';
import { threadGroupOf } from './proc.js';
import { remoteCall, withRemoteScratch } from './scratch.js';
import type { RemoteSyscallOptions } from './remote-syscall.js';

/**
 * File descriptors across the tracer/target boundary. Out: pidfd_getfd duplicates any fd of the
 * target into the tracer (the same open file: same offset, flags, socket). In: the tracer's fd
 * travels as SCM_RIGHTS over a socketpair the target itself creates, received by a remote recvmsg.
 */

/** pidfd_open(pid): a stable handle on the process (no pid-reuse race). */
export function pidfdOpen(pid: number): E.Either<PtraceError, number> {
  return attempt(() => pidfdOpenRaw(pid));
}

function pidfdOpenRaw(pid: number): number {
  const fd = sys(NR.pidfd_open, pid, 0);
  if (fd < 0) fail('pidfd_open', pid, -fd);
  return fd;
}

/** A copy, in this process, of fd `targetFd` of task `pid` (close it when done). */
export function stealFd(pid: number, targetFd: number): E.Either<PtraceError, number> {
  return attempt(() => stealFdRaw(pid, targetFd));
}

export function stealFdRaw(pid: number, targetFd: number): number {
  const pidfd = pidfdOpenRaw(pid);
  try {
    const fd = sys(NR.pidfd_getfd, pidfd, targetFd, 0);
    if (fd < 0) fail('pidfd_getfd', pid, -fd, `fd ${targetFd}`);
    return fd;
  } finally {
    sys(NR.close, pidfd);
  }
}

export interface InstallFdOptions extends RemoteSyscallOptions {
  /** The fd number it must get in the target (dup3 over whatever is there); any free number if absent. */
  readonly targetFd?: number;
  readonly cloexec?: boolean;
}

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0x80000;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const MSG_CMSG_CLOEXEC = 0x40000000;
const O_CLOEXEC = 0x80000;

// Layout of the scratch page in the target.
const SV = 0; // int[2] from socketpair
const IOV = 64; // struct iovec
const MSGHDR = 128; // struct msghdr (56 bytes)
const DATA = 200; // one byte of payload: SCM_RIGHTS needs some data to ride on
const CMSG = 256; // cmsghdr + one int: CMSG_SPACE(4) = 24

/** Installs this process's fd `fd` into thread `tid`'s process; returns its number there. */
export function installFd(tid: number, arch: Arch, fd: number, opts: InstallFdOptions = {}): E.Either<PtraceError, number> {
  return attempt(() => installFdRaw(tid, arch, fd, opts));
}

export function installFdRaw(tid: number, arch: Arch, fd: number, opts: InstallFdOptions = {}): number {
  return withRemoteScratch(tid, arch, CMSG + 24, (scratch) => {
    remoteCall(tid, arch, 'socketpair', [AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, scratch + BigInt(SV)], opts);
    const sv = readMemoryRaw(tid, scratch + BigInt(SV), 8);
    const sockets = [new DataView(sv.buffer, sv.byteOffset).getInt32(0, true), new DataView(sv.buffer, sv.byteOffset).getInt32(4, true)];
    const closeSockets = () => {
      for (const s of sockets.splice(0)) remoteCall(tid, arch, 'close', [s], opts);
    };
    let got: number;
    try {
      // pidfd_open wants the thread-group leader.
      const local = stealFdRaw(threadGroupOf(tid) ?? tid, sockets[1]);
      try {
        sendFd(tid, local, fd);
      } finally {
        sys(NR.close, local);
      }
      writeMemoryRaw(tid, scratch + BigInt(IOV), recvmsgArgs(scratch));
      remoteCall(tid, arch, 'recvmsg', [sockets[0], scratch + BigInt(MSGHDR), opts.cloexec ? MSG_CMSG_CLOEXEC : 0], opts);
      const cmsg = readMemoryRaw(tid, scratch + BigInt(CMSG), 24);
      const view = new DataView(cmsg.buffer, cmsg.byteOffset);
      if (view.getInt32(8, true) !== SOL_SOCKET || view.getInt32(12, true) !== SCM_RIGHTS) fail('remote recvmsg', tid, 5, 'no SCM_RIGHTS in the message');
      got = view.getInt32(16, true);
    } finally {
      closeSockets();
    }
    // The sockets are gone before the fd moves: the number it must get may be one of theirs.
    if (opts.targetFd === undefined || opts.targetFd === got) return got;
    try {
      remoteCall(tid, arch, 'dup3', [got, opts.targetFd, opts.cloexec ? O_CLOEXEC : 0], opts);
    } finally {
      remoteCall(tid, arch, 'close', [got], opts);
    }
    return opts.targetFd;
  }, opts);
}

/** iovec, msghdr, data byte and cmsg buffer for the remote recvmsg, laid out from IOV on. */
function recvmsgArgs(scratch: bigint): Uint8Array {
  const b = Buffer.alloc(CMSG + 24 - IOV);
  const at = (off: number) => off - IOV;
  b.writeBigUInt64LE(scratch + BigInt(DATA), at(IOV));
  b.writeBigUInt64LE(1n, at(IOV) + 8);
  // struct msghdr { name, namelen(+pad), iov, iovlen, control, controllen, flags }
  b.writeBigUInt64LE(scratch + BigInt(IOV), at(MSGHDR) + 16);
  b.writeBigUInt64LE(1n, at(MSGHDR) + 24);
  b.writeBigUInt64LE(scratch + BigInt(CMSG), at(MSGHDR) + 32);
  b.writeBigUInt64LE(24n, at(MSGHDR) + 40);
  return b;
}

function sendFd(tid: number, sock: number, fd: number): void {
  const data = kbuf(1);
  data[0] = 0x21;
  const iov = kbuf(16);
  iov.writeBigUInt64LE(addressOf(data), 0);
  iov.writeBigUInt64LE(1n, 8);
  const cmsg = kbuf(24);
  cmsg.writeBigUInt64LE(20n, 0); // CMSG_LEN(sizeof(int))
  cmsg.writeInt32LE(SOL_SOCKET, 8);
  cmsg.writeInt32LE(SCM_RIGHTS, 12);
  cmsg.writeInt32LE(fd, 16);
  const msg = kbuf(56);
  msg.writeBigUInt64LE(addressOf(iov), 16);
  msg.writeBigUInt64LE(1n, 24);
  msg.writeBigUInt64LE(addressOf(cmsg), 32);
  msg.writeBigUInt64LE(24n, 40);
  const r = sys(NR.sendmsg, sock, addressOf(msg), 0);
  keepAlive(msg, iov, data, cmsg);
  if (r < 0) fail('sendmsg(SCM_RIGHTS)', tid, -r);
}
