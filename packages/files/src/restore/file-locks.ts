import { ImagesDir, type MessageValue } from '@criu-ts/images';
import { type RemoteTask, RestoreFault } from '@criu-ts/subsystem';
import type { FilesRestoreOptions } from './files-restore-options.js';

const FL_POSIX = 1;
const FL_FLOCK = 2;
const FL_OFD = 4;
const FL_LEASE = 8;
const F_RDLCK = 0;
const F_WRLCK = 1;
const F_SETLK = 6;
const F_OFD_SETLK = 37;
const SEEK_SET = 0;
const LOCK_SH = 1;
const LOCK_EX = 2;
const LOCK_NB = 4;
const EAGAIN = 11;

/** The entries of filelocks.img by the pid of the task that takes each lock again. */
export type FileLocksByTask = ReadonlyMap<number, readonly MessageValue[]>;

/**
 * Reads filelocks.img, before anything is created. Images that hold locks are refused without
 * --file-locks: the tree would run on believing it holds locks nobody holds.
 */
export function readFileLocks(imagesDir: string, options: FilesRestoreOptions = {}): FileLocksByTask {
  const byTask = new Map<number, MessageValue[]>();
  const opened = ImagesDir.open(imagesDir);
  if (opened._tag === 'Left') throw new RestoreFault('file-locks', `images directory ${imagesDir}: ${opened.left.message}`);
  if (!opened.right.has('filelocks.img')) return byTask;
  const image = opened.right.read('filelocks.img');
  if (image._tag === 'Left') throw new RestoreFault('file-locks', image.left.message);
  for (const { message } of image.right.entries) {
    const pid = Number(message.pid);
    if (!byTask.has(pid)) byTask.set(pid, []);
    byTask.get(pid)!.push(message);
  }
  if (byTask.size > 0 && !options.fileLocks) {
    throw new RestoreFault('file-locks', `the images hold ${image.right.entries.length} file lock(s): restore with --file-locks to take them again`);
  }
  return byTask;
}

/**
 * Takes task `pid`'s locks again, once all its fds are in place and before it runs. Every lock is
 * taken by the task itself on its own fd, as CRIU's restore does: a POSIX lock belongs to the
 * process that takes it, and a flock records its taker's pid (/proc/locks shows it). A lock that
 * cannot be had at once (another process took a conflicting one since the dump) fails the restore.
 */
export function restoreFileLocks(task: RemoteTask, pid: number, locks: FileLocksByTask): void {
  for (const lock of locks.get(pid) ?? []) {
    const flag = Number(lock.flag);
    const fd = Number(lock.fd);
    task.resetScratch();
    let ret: bigint;
    if (flag & FL_FLOCK) {
      const type = Number(lock.type);
      if (type !== F_RDLCK && type !== F_WRLCK) throw new RestoreFault('file-locks', `task ${pid} fd ${fd}: flock of type ${type} in filelocks.img`, pid);
      ret = task.try('flock', [fd, (type === F_RDLCK ? LOCK_SH : LOCK_EX) | LOCK_NB]).ret;
    } else if (flag & (FL_POSIX | FL_OFD)) {
      ret = task.try('fcntl', [fd, flag & FL_POSIX ? F_SETLK : F_OFD_SETLK, task.put(flockStruct(lock))]).ret;
    } else if (flag & FL_LEASE) {
      throw new RestoreFault('file-locks', `task ${pid} fd ${fd} held a lease: leases cannot be restored yet`, pid);
    } else {
      throw new RestoreFault('file-locks', `task ${pid} fd ${fd}: unknown lock flag ${flag} in filelocks.img`, pid);
    }
    if (ret < 0n) {
      const why = ret === BigInt(-EAGAIN) ? 'another process holds a conflicting lock' : `errno ${-ret}`;
      throw new RestoreFault('file-locks', `task ${pid} fd ${fd}: cannot take its ${describe(lock)} again: ${why}`, pid);
    }
  }
}

/** struct flock: l_type, l_whence (shorts), l_start, l_len (off_t), l_pid (0: required by OFD locks). */
function flockStruct(lock: MessageValue): Uint8Array {
  const b = Buffer.alloc(32);
  b.writeInt16LE(Number(lock.type), 0);
  b.writeInt16LE(SEEK_SET, 2);
  b.writeBigInt64LE(BigInt(lock.start as bigint), 8);
  b.writeBigInt64LE(BigInt(lock.len as bigint), 16);
  return b;
}

function describe(lock: MessageValue): string {
  const flag = Number(lock.flag);
  const family = flag & FL_FLOCK ? 'flock' : flag & FL_OFD ? 'OFD lock' : 'POSIX lock';
  const type = Number(lock.type) === F_RDLCK ? 'read' : 'write';
  if (flag & FL_FLOCK) return `${type} ${family}`;
  const start = BigInt(lock.start as bigint);
  const len = BigInt(lock.len as bigint);
  return `${type} ${family} on bytes ${start}-${len === 0n ? 'EOF' : start + len - 1n}`;
}
