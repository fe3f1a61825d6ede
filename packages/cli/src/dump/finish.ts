import { readFileSync } from 'node:fs';
import { pollTask, releaseStragglers, thawTree, type FrozenTree } from '@criu-ts/ptrace';

/** How a dumped tree is left: killed (CRIU's default), running on, or stopped. */
export type DumpEnding = 'kill' | 'run' | 'stop';

/**
 * Ends the dump. 'run' detaches every thread as it was. 'stop' queues SIGSTOP to every task, then
 * detaches: each task takes the stop on its way out of the ptrace stop. 'kill' sends SIGKILL to every
 * task while it is still traced, waits until every thread has died, then detaches: for a thread that
 * is gone that means collecting it, so no zombie is left traced by us (the real parent reaps the rest).
 * Returns the threads still waiting to be collected (should be none).
 */
export function finishTree(tree: FrozenTree, ending: DumpEnding, timeoutMs = 5000): number[] {
  if (ending === 'stop') for (const t of tree.tasks) signal(t.pid, 'SIGSTOP');
  if (ending === 'kill') {
    for (const t of tree.tasks) signal(t.pid, 'SIGKILL');
    const deadline = Date.now() + timeoutMs;
    const tids = tree.tasks.flatMap((t) => t.threads.map((th) => [t.pid, th.tid] as const));
    while (Date.now() < deadline && tids.some(([pid, tid]) => alive(pid, tid))) spin(1);
    // A traced task's death is reported to its tracer first: collecting it here hands the zombie
    // to its real parent at once, so its PID is free as soon as the dump returns.
    collectDeaths(tids.map(([, tid]) => tid), deadline);
  }
  thawTree(tree);
  const deadline = Date.now() + timeoutMs;
  while (releaseStragglers() > 0 && Date.now() < deadline) spin(1);
  return tree.tasks.flatMap((t) => t.threads.map((th) => th.tid)).filter((tid) => tracedByUs(tid));
}

/**
 * Collects every thread's death, in whatever order they become reportable: a thread-group leader's
 * only once its other threads are collected, so waiting on the leaders first would wait for nothing.
 */
function collectDeaths(tids: readonly number[], deadline: number): void {
  const pending = new Set(tids);
  while (pending.size > 0 && Date.now() < deadline) {
    for (const tid of [...pending]) {
      try {
        const st = pollTask(tid);
        if (st && st.kind !== 'stopped') pending.delete(tid);
      } catch {
        pending.delete(tid); // already collected, or not ours
      }
    }
    if (pending.size > 0) spin(1);
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {}
}

/** Still running (not yet a zombie or gone). */
function alive(pid: number, tid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

function tracedByUs(tid: number): boolean {
  try {
    const m = /^TracerPid:\s+(\d+)/m.exec(readFileSync(`/proc/${tid}/status`, 'utf8'));
    return m !== null && Number(m[1]) === process.pid;
  } catch {
    return false;
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** A synchronous sleep: the dump runs on the tracer thread, which must not yield to the event loop. */
function spin(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}
