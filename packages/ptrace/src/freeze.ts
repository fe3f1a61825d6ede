import * as E from 'fp-ts/lib/Either.js';
import { PTRACE, PTRACE_EVENT, PTRACE_O, SIG } from './constants.js';
import { attempt } from './either.js';
import { EINVAL, EOPNOTSUPP, EPERM, ESRCH, fail, ptraceError, PtraceFailure, type PtraceError } from './errors.js';
import { forgetGadgets } from './gadget.js';
import { listChildren, listThreads, statFields, taskState, tracerOf } from './proc.js';
import { tryPtrace } from './ptrace-request.js';
import { pollTask, waitTask } from './wait.js';

/** How a frozen thread sits: stopped by our interrupt, or in a job-control stop it was already in (kept on thaw). */
export type StopKind = 'interrupt' | 'group-stop';

export interface FrozenThread {
  readonly tid: number;
  readonly stop: StopKind;
  /** For a group-stop: the signal that stopped it (SIGSTOP, SIGTSTP, SIGTTIN or SIGTTOU). */
  readonly stopSignal?: number;
  /** /proc state letter just before it was seized ('R', 'S', 'D', 'T'...). */
  readonly stateBefore: string;
}

export interface FrozenTask {
  readonly pid: number;
  /** The parent in the tree (0 for the root). */
  readonly ppid: number;
  /** An exited task its parent has not reaped: nothing to seize, only its pid and exit to record. */
  readonly zombie: boolean;
  readonly threads: readonly FrozenThread[];
}

/** A process tree whose every live thread is in a ptrace stop owned by the calling thread. */
export interface FrozenTree {
  readonly root: number;
  /** Parents before children. */
  readonly tasks: readonly FrozenTask[];
  /** How many scans of the tree it took until nothing new appeared. */
  readonly rounds: number;
}

export interface FreezeOptions {
  /** Per-thread wait for the interrupt stop, ms (a task in uninterruptible sleep does not stop until it wakes). */
  readonly stopTimeoutMs?: number;
  /** Scans of the tree before giving up on a tree that keeps changing. */
  readonly maxRounds?: number;
  /** PTRACE_O_* set at seize; PTRACE_O_EXITKILL is refused: a dump must never kill the tree if the tracer dies. */
  readonly options?: number;
}

export const DEFAULT_SEIZE_OPTIONS = PTRACE_O.TRACESYSGOOD | PTRACE_O.SUSPEND_SECCOMP;

/**
 * Tasks seized and interrupted that did not stop in time. They cannot be detached until they stop
 * (PTRACE_DETACH needs a stopped tracee), so they are remembered and released by releaseStragglers.
 */
const stragglers = new Set<number>();

/**
 * Freezes every thread of every task of the tree rooted at `root`: PTRACE_SEIZE + PTRACE_INTERRUPT each
 * thread, then scan /proc again for new threads and children until a whole scan finds nothing new
 * (tasks keep forking and spawning threads until all their own threads are stopped). A task that
 * exits on the way is dropped; a zombie is recorded as such. On failure everything seized is released.
 */
export function freezeTree(root: number, opts: FreezeOptions = {}): E.Either<PtraceError, FrozenTree> {
  const stopTimeoutMs = opts.stopTimeoutMs ?? 5000;
  const maxRounds = opts.maxRounds ?? 32;
  const options = opts.options ?? DEFAULT_SEIZE_OPTIONS;
  if (options & PTRACE_O.EXITKILL) return E.left({ syscall: 'PTRACE_SEIZE', pid: root, errno: 22, code: 'EINVAL', message: 'PTRACE_O_EXITKILL would kill the tree if the tracer died' });
  // libuv reaps its own children on SIGCHLD and would steal their ptrace stops (and exit statuses).
  if (statFields(root)?.[1] === String(process.pid)) {
    return E.left(ptraceError('freeze', root, EINVAL, 'the task is a child of this Node process (start targets detached, e.g. setsid -f)'));
  }
  releaseStragglers();
  forgetGadgets();

  const seized = new Map<number, FrozenThread>();
  // Seized and interrupted, stop not collected yet: must be let go too if the freeze fails.
  const pendingStop = new Set<number>();
  const taskOf = new Map<number, { pid: number; ppid: number; zombie: boolean; tids: number[] }>();
  const result = attempt(() => {
    for (let round = 1; round <= maxRounds; round++) {
      let changed = false;
      const order: number[] = [];
      const queue: [number, number][] = [[root, 0]];
      const seen = new Set<number>();
      while (queue.length > 0) {
        const [pid, ppid] = queue.shift()!;
        if (seen.has(pid)) continue;
        seen.add(pid);
        const state = taskState(pid);
        const tids = state === undefined ? undefined : listThreads(pid);
        if (state === undefined || tids === undefined) {
          if (pid === root) fail('freeze', root, ESRCH, 'the root task does not exist');
          changed ||= forgetTask(pid);
          continue;
        }
        const task = taskOf.get(pid) ?? { pid, ppid, zombie: false, tids: [] };
        task.ppid = ppid;
        taskOf.set(pid, task);
        order.push(pid);
        if ((state === 'Z' || state === 'X') && tids.length <= 1) {
          changed ||= !task.zombie;
          task.zombie = true;
          continue;
        }
        // the leader's own thread is gone but not the others (pthread_exit in main): it can never stop
        if (state === 'Z' || state === 'X') {
          fail('freeze', pid, EOPNOTSUPP, `the main thread of task ${pid} has exited while ${tids.length - 1} other threads run on: a task without its leader thread cannot be dumped yet`);
        }
        // Seize and interrupt every new thread first, then wait: the stops happen in parallel.
        const fresh = tids.filter((tid) => !seized.has(tid));
        const asked: { tid: number; stateBefore: string }[] = [];
        for (const tid of fresh) {
          changed = true;
          const stateBefore = seizeThread(tid, options);
          if (stateBefore === undefined) continue;
          pendingStop.add(tid);
          asked.push({ tid, stateBefore });
        }
        for (const { tid, stateBefore } of asked) {
          const frozen = waitForStop(tid, stopTimeoutMs, stateBefore);
          pendingStop.delete(tid);
          if (frozen) seized.set(tid, frozen);
        }
        // Threads that were seized but are no longer listed have exited (already reaped by waitTask).
        task.tids = tids.filter((t) => seized.has(t));
        for (const tid of task.tids) for (const child of listChildren(pid, tid)) queue.push([child, pid]);
      }
      // A seized thread can still die (SIGKILL, or exit_group from a thread not yet stopped): collect it.
      for (const tid of [...seized.keys()]) {
        const st = pollTask(tid);
        if (st && st.kind !== 'stopped') {
          seized.delete(tid);
          for (const task of taskOf.values()) task.tids = task.tids.filter((t) => t !== tid);
          changed = true;
        }
      }
      // Tasks not reached this round left the tree (exited, or reparented away when their parent died).
      const live = new Set(order);
      for (const pid of [...taskOf.keys()]) if (!live.has(pid)) changed = forgetTask(pid) || changed;
      if (!changed) {
        const tasks = order.map((pid) => {
          const t = taskOf.get(pid)!;
          return { pid, ppid: t.ppid, zombie: t.zombie, threads: t.tids.map((tid) => seized.get(tid)!) };
        });
        return { root, tasks, rounds: round };
      }
    }
    return fail('freeze', root, 11 /* EAGAIN */, `the tree kept changing for ${maxRounds} scans`);
  });
  if (E.isLeft(result)) {
    for (const tid of seized.keys()) releaseThread(tid);
    for (const tid of pendingStop) releaseWhenStopped(tid);
  }
  return result;

  function forgetTask(pid: number): boolean {
    const task = taskOf.get(pid);
    if (!task) return false;
    taskOf.delete(pid);
    // A task that left the tree alive (reparented) must not stay stopped.
    for (const tid of task.tids) {
      releaseThread(tid);
      seized.delete(tid);
    }
    return true;
  }
}

/**
 * Seizes and interrupts one thread; returns its /proc state from just before, or undefined if it
 * exited on the way (or is a zombie thread-group leader whose other threads still run).
 */
function seizeThread(tid: number, options: number): string | undefined {
  const stateBefore = taskState(tid);
  if (stateBefore === undefined) return undefined;
  const r = tryPtrace(PTRACE.SEIZE, tid, 0, options);
  if (r < 0) {
    if (-r === ESRCH) return undefined;
    const now = taskState(tid);
    if (now === undefined || now === 'Z' || now === 'X') return undefined;
    const tracer = tracerOf(tid);
    if (-r === EPERM && tracer) fail('PTRACE_SEIZE', tid, EPERM, `already traced by ${tracer}`);
    fail('PTRACE_SEIZE', tid, -r);
  }
  const ri = tryPtrace(PTRACE.INTERRUPT, tid);
  if (ri < 0 && -ri !== ESRCH) fail('PTRACE_INTERRUPT', tid, -ri);
  return stateBefore;
}

/**
 * Waits for the stop our PTRACE_INTERRUPT asked for. A signal arriving first shows up as a
 * signal-delivery stop: it is handed back (PTRACE_CONT with it) so nothing is lost, and the pending
 * interrupt traps right after the task has dealt with it.
 */
function waitForStop(tid: number, timeoutMs: number, stateBefore: string): FrozenThread | undefined {
  for (let i = 0; i < 64; i++) {
    let st;
    try {
      st = waitTask(tid, timeoutMs);
    } catch (e) {
      if (e instanceof PtraceFailure && e.error.code === 'ETIMEDOUT') stragglers.add(tid);
      throw e;
    }
    if (st.kind !== 'stopped') return undefined;
    if (st.event === PTRACE_EVENT.STOP) {
      const groupStop = st.signal === SIG.SIGSTOP || st.signal === SIG.SIGTSTP || st.signal === SIG.SIGTTIN || st.signal === SIG.SIGTTOU;
      return groupStop ? { tid, stop: 'group-stop', stopSignal: st.signal, stateBefore } : { tid, stop: 'interrupt', stateBefore };
    }
    const sig = st.event === 0 && st.signal !== (SIG.SIGTRAP | 0x80) ? st.signal : 0;
    const r = tryPtrace(PTRACE.CONT, tid, 0, sig);
    if (r < 0 && -r !== ESRCH) fail('PTRACE_CONT', tid, -r);
  }
  return fail('freeze', tid, 11 /* EAGAIN */, 'signals kept arriving before the interrupt stop');
}

/**
 * Detaches one stopped thread. If it is not stopped: a thread killed meanwhile is collected so it does
 * not linger as a zombie, one no longer traced by us (detached already) is left alone, and one still
 * running towards its stop is remembered as a straggler. Returns whether it is gone.
 */
function releaseThread(tid: number): 'detached' | 'gone' | 'pending' {
  const r = tryPtrace(PTRACE.DETACH, tid, 0, 0);
  if (r >= 0) return 'detached';
  try {
    const st = pollTask(tid);
    if (st === undefined) {
      stragglers.add(tid);
      return 'pending';
    }
    if (st.kind === 'stopped') return tryPtrace(PTRACE.DETACH, tid, 0, 0) >= 0 ? 'detached' : 'gone';
    return 'gone';
  } catch {
    return 'gone'; // ECHILD: not our tracee any more
  }
}

/** Waits briefly for a seized thread's first stop and detaches it; one that does not stop becomes a straggler. */
function releaseWhenStopped(tid: number): void {
  if (stragglers.has(tid)) return;
  try {
    const st = waitTask(tid, 200);
    if (st.kind === 'stopped') tryPtrace(PTRACE.DETACH, tid, 0, 0);
  } catch {
    if (taskState(tid) !== undefined) stragglers.add(tid);
  }
}

export interface ThawReport {
  /** Threads that were let go. */
  readonly detached: number;
  /** Threads that died while frozen (killed by someone else) and were reaped. */
  readonly vanished: readonly number[];
}

/**
 * Lets every thread of a frozen tree go on exactly as before: PTRACE_DETACH with no signal from the
 * stop the thread is parked in. Pending signals stay queued, and a thread that was in a job-control
 * stop goes back into it (the kernel re-arms the group stop on detach).
 */
export function thawTree(tree: FrozenTree): E.Either<PtraceError, ThawReport> {
  return attempt(() => {
    let detached = 0;
    const vanished: number[] = [];
    for (const task of [...tree.tasks].reverse()) {
      for (const { tid } of task.threads) {
        const r = tryPtrace(PTRACE.DETACH, tid, 0, 0);
        if (r >= 0) {
          detached++;
          continue;
        }
        if (-r !== ESRCH) fail('PTRACE_DETACH', tid, -r);
        if (releaseThread(tid) === 'detached') detached++;
        else vanished.push(tid);
      }
    }
    releaseStragglers();
    return { detached, vanished };
  });
}

/**
 * Detaches the threads that were seized but had not stopped when a freeze gave up, if they have stopped
 * since; returns how many are still pending. Call it again later while it returns more than 0.
 */
export function releaseStragglers(): number {
  for (const tid of [...stragglers]) {
    try {
      const st = pollTask(tid);
      if (st === undefined) continue;
      if (st.kind === 'stopped') tryPtrace(PTRACE.DETACH, tid, 0, 0);
    } catch {}
    stragglers.delete(tid);
  }
  return stragglers.size;
}
