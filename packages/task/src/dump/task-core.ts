import type { MessageValue } from '@criu-ts/images';
import { readProc, statFields, statusFields } from './proc.js';
import { refuse } from '@criu-ts/subsystem';
import { pendingSignals } from './pending-signals.js';
import { dumpPosixTimers } from './posix-timers.js';
import type { DumpRemote } from '@criu-ts/subsystem';

const PR_GET_CHILD_SUBREAPER = 37;
const SIGKILL = 9;
const SIGSTOP = 19;
const MEMBARRIER_CMD_GET_REGISTRATIONS = 1 << 9;
const RLIM_NLIMITS = 16;

/** CRIU's task_state numbers (compel's task-state.h). */
export const TASK_STATE = { ALIVE: 1, DEAD: 2, STOPPED: 3, ZOMBIE: 6 } as const;

export interface TaskCoreOptions {
  /** The signal of the job-control stop the task sat in when frozen, if it did. */
  readonly stopSignal: number | undefined;
  /** The leader's blocked-signal mask. */
  readonly blkSigset: bigint;
}

/**
 * The task-wide part of the leader's core (task_core_entry): state, personality, PF_* flags, comm,
 * itimers (remote getitimer) and POSIX timers, rlimits (remote prlimit64 on itself: CAP_SYS_RESOURCE
 * is not needed to read its own), loginuid, oom_score_adj, all signal dispositions (remote
 * rt_sigaction with no new action) and the child-subreaper bit.
 */
export function dumpTaskCore(pid: number, remote: DumpRemote, opts: TaskCoreOptions): MessageValue {
  const step = 'task-core';
  const stat = statFields(pid, step);
  const scratch = remote.scratch(pid);
  const words = (len: number) => {
    const b = remote.read(pid, scratch, len * 8);
    const v = new DataView(b.buffer, b.byteOffset);
    return Array.from({ length: len }, (_, i) => v.getBigUint64(i * 8, true));
  };

  const timer = (which: number) => {
    remote.call(pid, 'getitimer', [which, scratch]);
    const [isec, iusec, vsec, vusec] = words(4);
    return { isec, iusec, vsec, vusec };
  };
  const posix = dumpPosixTimers(pid, remote);
  const timers: MessageValue = { real: timer(0), virt: timer(1), prof: timer(2) };
  if (posix.length > 0) timers.posix = posix;

  const rlimits: MessageValue[] = [];
  for (let r = 0; r < RLIM_NLIMITS; r++) {
    remote.call(pid, 'prlimit64', [0, r, 0, scratch]);
    const [cur, max] = words(2);
    rlimits.push({ cur, max });
  }

  const sigactions: MessageValue[] = [];
  for (let sig = 1; sig <= 64; sig++) {
    if (sig === SIGKILL || sig === SIGSTOP) continue;
    remote.call(pid, 'rt_sigaction', [sig, 0, scratch, 8]);
    // struct kernel_sigaction on x86-64: handler, flags, restorer, mask
    const [sigaction, flags, restorer, mask] = words(4);
    sigactions.push({ sigaction, flags, restorer, mask, compat_sigaction: false });
  }

  remote.write(pid, scratch, new Uint8Array(8));
  remote.call(pid, 'prctl', [PR_GET_CHILD_SUBREAPER, scratch, 0, 0, 0]);
  const childSubreaper = (words(1)[0] & 0xffff_ffffn) !== 0n;
  // the membarrier commands the process registered for (before Linux 6.3 the kernel cannot tell)
  const registered = remote.callRaw(pid, 'membarrier', [MEMBARRIER_CMD_GET_REGISTRATIONS, 0, 0]);

  const tc: MessageValue = {
    task_state: opts.stopSignal !== undefined ? TASK_STATE.STOPPED : TASK_STATE.ALIVE,
    exit_code: 0,
    personality: parseInt(readProc(`/proc/${pid}/personality`, pid, step).trim(), 16),
    flags: Number(stat(9)),
    blk_sigset: opts.blkSigset,
    comm: readProc(`/proc/${pid}/comm`, pid, step).replace(/\n$/, ''),
    timers,
    rlimits: { rlimits },
    signals_s: pendingSignals(pid, true, 'task-core'),
    loginuid: Number(readProc(`/proc/${pid}/loginuid`, pid, step).trim()) >>> 0,
    oom_score_adj: Number(readProc(`/proc/${pid}/oom_score_adj`, pid, step).trim()),
    sigactions,
    child_subreaper: childSubreaper,
  };
  if (registered > 0n) tc.membarrier_registration_mask = Number(registered);
  if (opts.stopSignal !== undefined) tc.stop_signo = opts.stopSignal;
  return tc;
}

const SCHED_DEADLINE = 6;

/**
 * What this dump does not carry, refused before anything is written: SCHED_DEADLINE threads (core
 * images have no room for their runtime, deadline and period).
 */
export function checkTaskSupported(pid: number, tids: readonly number[]): void {
  const step = 'task-check';
  for (const tid of tids) {
    // field 41 of stat is the scheduling policy
    if (Number(statFields(pid, step, tid)(41)) === SCHED_DEADLINE) refuse(step, pid, `thread ${tid} of task ${pid} runs under SCHED_DEADLINE; its parameters cannot be dumped`);
  }
}
