/**
 * The rest of a task's own state that issue-4 programs rely on: signal handlers, the command name,
 * and per thread the clear-tid address, robust futex list, rseq area and alternate signal stack.
 * Registers and the signal mask come last, with the final syscall.
 */
import type { MessageValue } from '@criu-ts/images';
import type { RemoteTask } from './remote-task.js';

const SIGKILL = 9;
const SIGSTOP = 19;
const SS_DISABLE = 2;

/** Signals 1..64 but SIGKILL and SIGSTOP, whose handlers cannot change: the order of tc.sigactions. */
const SIGNALS_WITH_ACTIONS = Array.from({ length: 64 }, (_, i) => i + 1).filter((sig) => sig !== SIGKILL && sig !== SIGSTOP);
const PR_SET_NAME = 15;

/** rt_sigaction for every signal the images list (the kernel's struct sigaction: handler, flags, restorer, mask). */
export function restoreSigactions(task: RemoteTask, core: MessageValue): void {
  const actions = (((core.tc as MessageValue | undefined)?.sigactions ?? []) as MessageValue[]);
  actions.forEach((action, index) => {
    const sig = SIGNALS_WITH_ACTIONS[index];
    task.resetScratch();
    const act = new Uint8Array(32);
    const view = new DataView(act.buffer);
    view.setBigUint64(0, BigInt(action.sigaction as bigint), true);
    view.setBigUint64(8, BigInt(action.flags as bigint), true);
    view.setBigUint64(16, BigInt(action.restorer as bigint), true);
    view.setBigUint64(24, BigInt(action.mask as bigint), true);
    task.call('rt_sigaction', [sig, task.put(act), 0, 8]);
  });
}

export function restoreComm(task: RemoteTask, core: MessageValue): void {
  const comm = (core.tc as MessageValue | undefined)?.comm ?? (core.thread_core as MessageValue | undefined)?.comm;
  if (comm === undefined) return;
  task.resetScratch();
  task.call('prctl', [PR_SET_NAME, task.putString(String(comm)), 0, 0, 0]);
}

/** Per-thread kernel state kept outside the registers. */
export function restoreThreadState(thread: RemoteTask, core: MessageValue): void {
  thread.resetScratch();
  const info = core.thread_info as MessageValue | undefined;
  const tc = (core.thread_core ?? {}) as MessageValue;
  if (info?.clear_tid_addr !== undefined) thread.call('set_tid_address', [BigInt(info.clear_tid_addr as bigint)]);
  if (tc.futex_rla !== undefined && BigInt(tc.futex_rla as bigint) !== 0n) {
    thread.call('set_robust_list', [BigInt(tc.futex_rla as bigint), Number(tc.futex_rla_len)]);
  }
  const rseq = tc.rseq_entry as MessageValue | undefined;
  if (rseq && BigInt(rseq.rseq_abi_pointer as bigint) !== 0n) {
    thread.call('rseq', [BigInt(rseq.rseq_abi_pointer as bigint), Number(rseq.rseq_abi_size), 0, Number(rseq.signature)]);
  }
  const sas = tc.sas as MessageValue | undefined;
  if (sas && Number(sas.ss_flags) !== SS_DISABLE) {
    const stack = new Uint8Array(24);
    const view = new DataView(stack.buffer);
    view.setBigUint64(0, BigInt(sas.ss_sp as bigint), true);
    view.setInt32(8, Number(sas.ss_flags), true);
    view.setBigUint64(16, BigInt(sas.ss_size as bigint), true);
    thread.call('sigaltstack', [thread.put(stack), 0]);
  }
}

/** The blocked signal mask a thread had (per thread in thread_core, the task's in tc for old images). */
export function blockedMask(core: MessageValue): bigint {
  const tc = core.thread_core as MessageValue | undefined;
  const mask = tc?.blk_sigset ?? (core.tc as MessageValue | undefined)?.blk_sigset ?? 0n;
  return BigInt(mask as bigint);
}
