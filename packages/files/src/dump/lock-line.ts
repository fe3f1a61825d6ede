import { refuse } from '@criu-ts/subsystem';

/** One lock an fd's fdinfo shows: `lock:\t1: POSIX  ADVISORY  WRITE 1234 fe:00:2154988 10 29`. */
export interface FdLock {
  readonly fd: number;
  /** POSIX (fcntl F_SETLK), FLOCK (flock), OFDLCK (fcntl F_OFD_SETLK), LEASE... */
  readonly family: string;
  readonly type: 'READ' | 'WRITE' | 'UNLCK';
  readonly start: bigint;
  /** The last byte locked; undefined for "EOF" (up to the end of the file, however long it grows). */
  readonly end: bigint | undefined;
  /** The line itself, for error messages. */
  readonly text: string;
}

const FAMILIES = new Set(['POSIX', 'FLOCK', 'OFDLCK', 'LEASE']);
const LOCK_LINE = /^lock:\s*\d+:\s*(->\s*)?(\S+)\s+\S+\s+(\S+)\s+-?\d+\s+[0-9a-f]+:[0-9a-f]+:\d+\s+(\d+)\s+(\d+|EOF)\s*$/;

/**
 * The locks fdinfo text `fdinfo` of fd `fd` shows, waiters (`->`) left out: a frozen task waits
 * for nothing, the lock call restarts when it runs again.
 */
export function parseLockLines(pid: number, fd: number, fdinfo: string): FdLock[] {
  const locks: FdLock[] = [];
  for (const line of fdinfo.split('\n')) {
    if (!line.startsWith('lock:')) continue;
    // empty when the lock's owner is in a PID namespace we cannot see
    if (line.slice('lock:'.length).trim() === '') continue;
    const m = LOCK_LINE.exec(line);
    if (!m) refuse('file-locks', pid, `task ${pid} fd ${fd}: cannot parse the fdinfo lock line '${line}'`);
    if (m[1]) continue;
    const type = m[3];
    if (type !== 'READ' && type !== 'WRITE' && type !== 'UNLCK') refuse('file-locks', pid, `task ${pid} fd ${fd} holds a lock of unknown type ${type} ('${line}')`);
    if (!FAMILIES.has(m[2])) refuse('file-locks', pid, `task ${pid} fd ${fd} holds a lock of unknown kind ${m[2]} ('${line}')`);
    const text = line.slice('lock:'.length).trim().replace(/^\d+:\s*/, '').replace(/\s+/g, ' ');
    locks.push({ fd, family: m[2], type, start: BigInt(m[4]), end: m[5] === 'EOF' ? undefined : BigInt(m[5]), text });
  }
  return locks;
}
