import { readFileSync } from 'node:fs';
import { __WALL, WNOHANG } from './constants.js';
import { ECHILD, ETIMEDOUT, fail } from './errors.js';
import { addressOf, kbuf, NR, sys } from './libc.js';

/** What waitpid said about one tracee. */
export type WaitStatus =
  | { readonly kind: 'exited'; readonly code: number }
  | { readonly kind: 'killed'; readonly signal: number }
  /** `event` is the PTRACE_EVENT_* in bits 16-23 (0 for a signal-delivery or syscall stop). */
  | { readonly kind: 'stopped'; readonly signal: number; readonly event: number };

const statusBuf = kbuf(4);
const statusAddr = addressOf(statusBuf);
const timespec = kbuf(16);
const timespecAddr = addressOf(timespec);

export function decodeWaitStatus(status: number): WaitStatus {
  const low = status & 0x7f;
  if (low === 0) return { kind: 'exited', code: (status >> 8) & 0xff };
  if ((status & 0xff) === 0x7f) return { kind: 'stopped', signal: (status >> 8) & 0xff, event: (status >> 16) & 0xff };
  return { kind: 'killed', signal: low };
}

/** waitpid(tid, __WALL|WNOHANG) once: a status, or undefined if the task has nothing to report. */
export function pollTask(tid: number): WaitStatus | undefined {
  const r = sys(NR.wait4, tid, statusAddr, __WALL | WNOHANG, 0);
  if (r < 0) fail('waitpid', tid, -r, -r === ECHILD ? 'not traced by this thread' : undefined);
  if (r === 0) return undefined;
  return decodeWaitStatus(statusBuf.readInt32LE(0));
}

/**
 * Waits for the tracee's next state change, giving up after timeoutMs. waitpid has no timeout and a
 * blocking one would hang the tracer on a task in uninterruptible sleep, so this polls: sched_yield
 * for the first 2 ms (stops usually arrive within tens of microseconds), then sleeps that grow to 1 ms.
 */
export function waitTask(tid: number, timeoutMs: number): WaitStatus {
  const start = performance.now();
  const deadline = start + timeoutMs;
  for (let i = 0; ; i++) {
    const st = pollTask(tid);
    if (st) return st;
    const now = performance.now();
    if (now - start < SPIN_MS) {
      sys(NR.sched_yield);
      continue;
    }
    if (now > deadline) fail('waitpid', tid, ETIMEDOUT, `no stop within ${timeoutMs} ms${describeState(tid)}`);
    const ns = Math.min(1_000_000, 20_000 * 2 ** Math.min(6, i >> 4));
    timespec.writeBigInt64LE(0n, 0);
    timespec.writeBigInt64LE(BigInt(ns), 8);
    sys(NR.nanosleep, timespecAddr, 0);
  }
}

/** How long to poll with sched_yield before sleeping: ptrace stops normally arrive well within this. */
const SPIN_MS = 2;

function describeState(tid: number): string {
  try {
    const stat = readFileSync(`/proc/${tid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    let wchan = '';
    try {
      wchan = readFileSync(`/proc/${tid}/wchan`, 'utf8');
    } catch {}
    return ` (state ${state}${state === 'D' ? ', uninterruptible sleep' : ''}${wchan && wchan !== '0' ? ` in ${wchan}` : ''})`;
  } catch {
    return '';
  }
}
