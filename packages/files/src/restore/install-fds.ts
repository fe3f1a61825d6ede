import { addressOf, hostArch, kbuf, keepAlive, stealFdRaw, sys } from '@criu-ts/ptrace';
import { type RemoteTask, RestoreFault } from '@criu-ts/subsystem';

/** One fd to give the task: our fd `local` becomes its fd `target`. */
export interface FdToInstall {
  readonly local: number;
  readonly target: number;
  readonly cloexec: boolean;
}

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const MSG_CMSG_CLOEXEC = 0x40000000;
const RLIMIT_NOFILE = 7;
const F_SETFD = 2;
const FD_CLOEXEC = 1;
const O_CLOEXEC = 0o2000000;
/** The kernel's SCM_MAX_FD is 253 fds per message. */
const BATCH = 250;

/**
 * Passes our fds into a task whose fd table is empty, at their numbers: batches of up to 250 ride
 * one SCM_RIGHTS message over a socket pair made in the task (one remote recvmsg per batch).
 *
 * Received fds take the lowest free numbers. Fds are given in ascending target order and the task's
 * socket sits above every target, so the i-th received number is never above the i-th target; moving
 * them from the last to the first then never overwrites one not yet moved, and a table that is dense
 * from 0 (the common case) needs no move at all.
 */
export function installFds(task: RemoteTask, fds: readonly FdToInstall[]): void {
  if (fds.length === 0) return;
  const sorted = [...fds].sort((a, b) => a.target - b.target);
  task.resetScratch();
  const pair = task.reserve(8);
  task.call('socketpair', [AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, pair]);
  const ends = Buffer.from(task.read(pair, 8));
  const [receiver, sender] = [ends.readInt32LE(0), ends.readInt32LE(4)];
  let ours: number | undefined;
  let socket = receiver;
  try {
    ours = stealFdRaw(task.tid, sender);
    task.call('close', [sender]);
    const parking = socketParking(task.tid, sorted);
    task.call('dup3', [receiver, parking, O_CLOEXEC]);
    task.call('close', [receiver]);
    socket = parking;
    for (let at = 0; at < sorted.length; at += BATCH) passBatch(task, ours, socket, sorted.slice(at, at + BATCH));
  } finally {
    if (ours !== undefined) sys(hostArch().syscalls.close, ours);
    task.try('close', [socket]);
  }
}

/**
 * Where the task's end of the socket pair waits: above every target if the fd limit allows, else
 * the highest number under the limit that no fd needs (received fds then still land at or below
 * their targets: the socket never takes a number one of them needs).
 */
function socketParking(pid: number, sorted: readonly FdToInstall[]): number {
  const limits = kbuf(16);
  const r = sys(hostArch().syscalls.prlimit64, pid, RLIMIT_NOFILE, 0, addressOf(limits));
  if (r < 0) throw new RestoreFault('files', `cannot read the fd limit of task ${pid}: errno ${-r}`, pid);
  const limit = Number(limits.readBigUInt64LE(0) > BigInt(2 ** 31) ? BigInt(2 ** 31) : limits.readBigUInt64LE(0));
  const highest = sorted[sorted.length - 1].target;
  if (highest + 1 < limit) return highest + 1;
  const taken = new Set(sorted.map((f) => f.target));
  for (let fd = limit - 1; fd >= 0; fd--) if (!taken.has(fd)) return fd;
  throw new RestoreFault('files', `task ${pid} must hold ${sorted.length} fds, all its fd limit (${limit}) allows, and one more is needed to pass them`, pid);
}

function passBatch(task: RemoteTask, ours: number, socket: number, batch: readonly FdToInstall[]): void {
  const cmsgLength = 16 + 4 * batch.length;
  const cmsgSpace = (cmsgLength + 7) & ~7;
  sendFds(ours, batch.map((f) => f.local), cmsgLength, cmsgSpace, task.tid);

  // Receive with close-on-exec set the way most of the batch wants it; the rest are fixed one by one.
  const cloexecByDefault = batch.filter((f) => f.cloexec).length * 2 >= batch.length;
  task.resetScratch();
  const data = task.reserve(8);
  const control = task.reserve(cmsgSpace);
  const iov = task.put(u64s([data, 1n]));
  // struct msghdr { name, namelen, iov, iovlen, control, controllen, flags }
  const msg = task.put(u64s([0n, 0n, iov, 1n, control, BigInt(cmsgSpace), 0n]));
  task.call('recvmsg', [socket, msg, cloexecByDefault ? MSG_CMSG_CLOEXEC : 0]);
  const header = Buffer.from(task.read(control, cmsgSpace));
  const got = Number(header.readBigUInt64LE(0));
  if (header.readInt32LE(8) !== SOL_SOCKET || header.readInt32LE(12) !== SCM_RIGHTS || got !== cmsgLength) {
    throw new RestoreFault('files', `task ${task.tid} received ${Math.max(0, (got - 16) / 4)} of ${batch.length} fds`, task.tid);
  }
  const received = batch.map((_, i) => header.readInt32LE(16 + 4 * i));

  for (let i = batch.length - 1; i >= 0; i--) {
    const { target, cloexec } = batch[i];
    const from = received[i];
    if (from > target) throw new RestoreFault('files', `task ${task.tid} got fd ${from} for fd ${target}: its fd table was not empty`, task.tid);
    if (from === target) {
      if (cloexec !== cloexecByDefault) task.call('fcntl', [target, F_SETFD, cloexec ? FD_CLOEXEC : 0]);
      continue;
    }
    task.call('dup3', [from, target, cloexec ? O_CLOEXEC : 0]);
    task.call('close', [from]);
  }
}

/** sendmsg of one byte carrying `fds` as SCM_RIGHTS, from our end of the pair. */
function sendFds(sock: number, fds: readonly number[], cmsgLength: number, cmsgSpace: number, pid: number): void {
  const data = kbuf(1);
  const iov = kbuf(16);
  iov.writeBigUInt64LE(addressOf(data), 0);
  iov.writeBigUInt64LE(1n, 8);
  const cmsg = kbuf(cmsgSpace);
  cmsg.writeBigUInt64LE(BigInt(cmsgLength), 0);
  cmsg.writeInt32LE(SOL_SOCKET, 8);
  cmsg.writeInt32LE(SCM_RIGHTS, 12);
  fds.forEach((fd, i) => cmsg.writeInt32LE(fd, 16 + 4 * i));
  const msg = kbuf(56);
  msg.writeBigUInt64LE(addressOf(iov), 16);
  msg.writeBigUInt64LE(1n, 24);
  msg.writeBigUInt64LE(addressOf(cmsg), 32);
  msg.writeBigUInt64LE(BigInt(cmsgSpace), 40);
  const r = sys(hostArch().syscalls.sendmsg, sock, addressOf(msg), 0);
  keepAlive(msg, iov, data, cmsg);
  if (r < 0) throw new RestoreFault('files', `cannot pass ${fds.length} fds to task ${pid}: sendmsg errno ${-r}`, pid);
}

function u64s(values: readonly bigint[]): Uint8Array {
  const b = Buffer.alloc(values.length * 8);
  values.forEach((v, i) => b.writeBigUInt64LE(v, i * 8));
  return b;
}
