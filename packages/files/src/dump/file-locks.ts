import { readdirSync, readFileSync } from 'node:fs';
import type { MessageValue } from '@criu-ts/images';
import { refuse } from '@criu-ts/subsystem';
import type { KindImage } from './fd-dumper.js';
import type { FilesDumpOptions } from './files-dump-options.js';
import { type FdLock, parseLockLines } from './lock-line.js';

/** file_lock_entry's flag: which family the lock belongs to (CRIU's FL_* values). */
const FL_POSIX = 1;
const FL_FLOCK = 2;
const FL_OFD = 4;

const F_RDLCK = 0;
const F_WRLCK = 1;
const F_UNLCK = 2;

/**
 * The file locks a tree holds, as filelocks.img entries: each names the task and the fd through
 * which the lock is taken again at restore. /proc/PID/fdinfo/FD lists the locks of that open file
 * (flock and OFD locks) and the POSIX locks this task took through it, so the fdinfo of the tree
 * names every lock it holds: a POSIX lock is released by any close of its file by its owner, so it
 * cannot outlive the fd it was taken through.
 *
 * Without --file-locks a task holding one is refused, as CRIU does.
 */
export class FileLocks {
  /** The locks each task's fds show, read at the check step, by pid. */
  private readonly shown = new Map<number, FdLock[]>();
  private readonly entries: MessageValue[] = [];
  /** Locks already recorded, so a description held through several fds or tasks gives one entry. */
  private readonly recorded = new Set<string>();

  constructor(private readonly options: FilesDumpOptions = {}) {}

  /** Reads the locks task `pid` holds; refuses the task if it holds one and --file-locks is not given. */
  collect(pid: number): void {
    const locks: FdLock[] = [];
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fdinfo`);
    } catch (e) {
      return refuse('file-locks', pid, `cannot list /proc/${pid}/fdinfo: ${(e as Error).message}`);
    }
    for (const name of fds) {
      let fdinfo: string;
      try {
        fdinfo = readFileSync(`/proc/${pid}/fdinfo/${name}`, 'utf8');
      } catch (e) {
        return refuse('file-locks', pid, `cannot read /proc/${pid}/fdinfo/${name}: ${(e as Error).message}`);
      }
      locks.push(...parseLockLines(pid, Number(name), fdinfo));
    }
    if (locks.length === 0) return;
    const first = locks[0];
    if (!this.options.fileLocks) {
      refuse('file-locks', pid, `task ${pid} holds file locks (fd ${first.fd}: ${first.text}): dump with --file-locks to take them along`);
    }
    const lease = locks.find((l) => l.family === 'LEASE');
    if (lease) refuse('file-locks', pid, `task ${pid} fd ${lease.fd} holds a lease (${lease.text}): leases cannot be dumped yet`);
    this.shown.set(pid, locks);
  }

  /**
   * The entries of task `pid`'s locks, now that its fds have their files.img ids (`fdinfo`, the
   * task's fdinfo entries). A flock or OFD lock belongs to the open file description: the first fd
   * of the tree that holds it carries it. A POSIX lock belongs to the task: one entry per task.
   */
  note(pid: number, fdinfo: readonly MessageValue[]): void {
    const idOf = new Map(fdinfo.map((e) => [Number(e.fd), Number(e.id)]));
    for (const lock of this.shown.get(pid) ?? []) {
      const id = idOf.get(lock.fd);
      if (id === undefined) refuse('file-locks', pid, `task ${pid} fd ${lock.fd} holds a lock (${lock.text}) but is not among its dumped fds`);
      const owner = lock.family === 'POSIX' ? `task ${pid}` : 'file';
      const key = `${owner}:${id}:${lock.family}:${lock.type}:${lock.start}:${lock.end}`;
      if (this.recorded.has(key)) continue;
      this.recorded.add(key);
      this.entries.push({
        flag: lock.family === 'POSIX' ? FL_POSIX : lock.family === 'FLOCK' ? FL_FLOCK : FL_OFD,
        type: lock.type === 'READ' ? F_RDLCK : lock.type === 'WRITE' ? F_WRLCK : F_UNLCK,
        pid,
        fd: lock.fd,
        start: lock.start,
        // CRIU's length: 0 up to the end of the file, else the last byte + 1 - the first
        len: lock.end === undefined ? 0n : lock.end + 1n - lock.start,
      });
    }
    this.shown.delete(pid);
  }

  /** filelocks.img, when the tree holds any lock. */
  images(): KindImage[] {
    if (this.entries.length === 0) return [];
    return [{ name: 'filelocks.img', magic: 'FILE_LOCKS', entries: this.entries.map((message) => ({ message, type: 'file_lock_entry' })) }];
  }
}
