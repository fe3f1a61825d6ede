import type { MessageValue } from '@criu-ts/images';
import { refuse, type DumpRemote } from '@criu-ts/subsystem';
import { readProc } from './proc.js';

/** sigev_notify values (the kernel's SIGEV_*). */
const SIGEV_SIGNAL = 0;
const SIGEV_NONE = 1;
const SIGEV_THREAD = 2;
const SIGEV_THREAD_ID = 4;
const NOTIFY_KINDS: Record<string, number> = { signal: SIGEV_SIGNAL, none: SIGEV_NONE, thread: SIGEV_THREAD };

/**
 * A task's POSIX timers as posix_timer_entry, ordered by id. /proc/PID/timers tells each timer's id,
 * signal and value, how it notifies (the whole process or one thread) and its clock; the task itself
 * tells the time left and the interval (timer_gettime) and the overrun count of the last expiry it
 * took (timer_getoverrun). Only the task can ask: timer ids are private to their process.
 */
export function dumpPosixTimers(pid: number, remote: DumpRemote): MessageValue[] {
  const timers = parseProcTimers(pid, readProc(`/proc/${pid}/timers`, pid, 'posix-timers'));
  if (timers.length === 0) return [];
  const scratch = remote.scratch(pid);
  return timers.map((t) => {
    remote.call(pid, 'timer_gettime', [t.id, scratch]);
    // struct itimerspec: it_interval { sec, nsec }, it_value { sec, nsec }
    const spec = remote.read(pid, scratch, 32);
    const view = new DataView(spec.buffer, spec.byteOffset);
    const entry: MessageValue = {
      it_id: t.id,
      clock_id: t.clock >>> 0,
      si_signo: t.signo,
      it_sigev_notify: t.notify,
      sival_ptr: t.sivalPtr,
      overrun: Number(remote.call(pid, 'timer_getoverrun', [t.id])),
      isec: view.getBigUint64(0, true),
      insec: view.getBigUint64(8, true),
      vsec: view.getBigUint64(16, true),
      vnsec: view.getBigUint64(24, true),
    };
    if (t.notify & SIGEV_THREAD_ID) entry.notify_thread_id = t.target;
    return entry;
  });
}

interface ProcTimer {
  id: number;
  signo: number;
  sivalPtr: bigint;
  notify: number;
  /** The pid or tid the timer notifies. */
  target: number;
  clock: number;
}

/**
 * /proc/PID/timers: per timer "ID: n", "signal: signo/sival_ptr (hex)", "notify: kind/pid.N" or
 * "kind/tid.N" (a SIGEV_THREAD_ID timer), "ClockID: n" (negative for another task's CPU clock).
 */
function parseProcTimers(pid: number, text: string): ProcTimer[] {
  const timers: ProcTimer[] = [];
  let current: ProcTimer | undefined;
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1).trim();
    if (key === 'ID') {
      current = { id: Number(value), signo: 0, sivalPtr: 0n, notify: SIGEV_SIGNAL, target: 0, clock: 0 };
      timers.push(current);
      continue;
    }
    if (!current) refuse('posix-timers', pid, `/proc/${pid}/timers: "${line}" before any "ID:" line`);
    if (key === 'signal') {
      const m = /^(\d+)\/([0-9a-f]+)$/.exec(value);
      if (!m) refuse('posix-timers', pid, `/proc/${pid}/timers: cannot read "${line}"`);
      current.signo = Number(m[1]);
      current.sivalPtr = BigInt(`0x${m[2]}`);
    } else if (key === 'notify') {
      const m = /^(\w+)\/(pid|tid)\.(\d+)$/.exec(value);
      const kind = m ? NOTIFY_KINDS[m[1]] : undefined;
      if (!m || kind === undefined) refuse('posix-timers', pid, `/proc/${pid}/timers: cannot read "${line}"`);
      current.notify = kind | (m[2] === 'tid' ? SIGEV_THREAD_ID : 0);
      current.target = Number(m[3]);
    } else if (key === 'ClockID') {
      current.clock = Number(value);
    }
  }
  return timers.sort((a, b) => a.id - b.id);
}
