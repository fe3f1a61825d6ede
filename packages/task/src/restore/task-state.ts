/**
 * The rest of a task's own state a restore puts back: signal handlers, the command name, resource
 * limits, interval timers, queued signals, and per thread the clear-tid address, robust futex list,
 * rseq area, alternate signal stack and parent-death signal.
 * Registers and the signal mask come last, with the final syscall.
 */
import type { MessageValue } from '@criu-ts/images';
import { type RemoteTask, RestoreFault } from '@criu-ts/subsystem';

const SIGKILL = 9;
const SIGSTOP = 19;
const SS_DISABLE = 2;

/** Signals 1..64 but SIGKILL and SIGSTOP, whose handlers cannot change: the order of tc.sigactions. */
const SIGNALS_WITH_ACTIONS = Array.from({ length: 64 }, (_, i) => i + 1).filter((sig) => sig !== SIGKILL && sig !== SIGSTOP);
const PR_SET_NAME = 15;
const PR_SET_PDEATHSIG = 1;

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
  // Set only now, after the donor is gone: the restored root's first parent (the donor) dying
  // must not send it its parent-death signal.
  if (tc.pdeath_sig !== undefined && Number(tc.pdeath_sig) !== 0) thread.call('prctl', [PR_SET_PDEATHSIG, Number(tc.pdeath_sig), 0, 0, 0]);
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

const ITIMERS = ['real', 'virt', 'prof'] as const;

/** The interval timers, with the time they had left at dump time. */
export function restoreItimers(task: RemoteTask, core: MessageValue): void {
  const timers = (core.tc as MessageValue | undefined)?.timers as MessageValue | undefined;
  if (!timers) return;
  ITIMERS.forEach((name, which) => {
    const t = timers[name] as MessageValue | undefined;
    if (!t) return;
    const words = [t.isec, t.iusec, t.vsec, t.vusec].map((w) => BigInt((w as bigint | undefined) ?? 0n));
    if (words.every((w) => w === 0n)) return;
    // A periodic timer that expired while the task was frozen reads 0 left until the task takes its
    // signal (the kernel re-arms it then); setitimer with 0 left would drop the interval, so it is
    // armed to expire at once: its signal merges with the pending one, and the period goes on.
    if (words[2] === 0n && words[3] === 0n) words[3] = 1n;
    task.resetScratch();
    const value = new Uint8Array(32);
    const view = new DataView(value.buffer);
    words.forEach((w, i) => view.setBigInt64(i * 8, w, true));
    task.call('setitimer', [which, task.put(value), 0]);
  });
}

const RLIMIT_NAMES = ['CPU', 'FSIZE', 'DATA', 'STACK', 'CORE', 'RSS', 'NPROC', 'NOFILE', 'MEMLOCK', 'AS', 'LOCKS', 'SIGPENDING', 'MSGQUEUE', 'NICE', 'RTPRIO', 'RTTIME'];

/**
 * Resource limits, set by the task on itself (prlimit64 on pid 0). Lowering needs no privilege;
 * raising a hard limit above the donor's needs CAP_SYS_RESOURCE, and is refused by name without it.
 */
export function restoreRlimits(task: RemoteTask, core: MessageValue, pid: number): void {
  const limits = (((core.tc as MessageValue | undefined)?.rlimits as MessageValue | undefined)?.rlimits ?? []) as MessageValue[];
  limits.forEach((limit, resource) => {
    task.resetScratch();
    const current = task.reserve(16);
    task.call('prlimit64', [0, resource, 0, current]);
    const now = new DataView(task.read(current, 16).buffer);
    const cur = BigInt.asUintN(64, BigInt(limit.cur as bigint));
    const max = BigInt.asUintN(64, BigInt(limit.max as bigint));
    if (now.getBigUint64(0, true) === cur && now.getBigUint64(8, true) === max) return;
    const wanted = new Uint8Array(16);
    const view = new DataView(wanted.buffer);
    view.setBigUint64(0, cur, true);
    view.setBigUint64(8, max, true);
    const { ret } = task.try('prlimit64', [0, resource, task.put(wanted), 0]);
    if (ret < 0n) {
      const name = RLIMIT_NAMES[resource] ?? String(resource);
      throw new RestoreFault('rlimits', `cannot give task ${pid} its RLIMIT_${name} (${cur}/${max}): errno ${-ret}${ret === -1n ? ' (raising a hard limit needs CAP_SYS_RESOURCE)' : ''}`, pid);
    }
  });
}

/**
 * Signals that were queued at dump time, queued again with their siginfo: the process-wide queue
 * (rt_sigqueueinfo) and each thread's own (rt_tgsigqueueinfo). The task sends them to itself, which
 * the kernel allows for any si_code; they stay pending behind the blocked mask until it is restored.
 */
export function restorePendingSignals(task: RemoteTask, pid: number, cores: ReadonlyMap<number, MessageValue>): void {
  const queued = (entry: unknown) => (((entry as MessageValue | undefined)?.signals ?? []) as MessageValue[]).map((s) => s.siginfo as Uint8Array);
  const signo = (siginfo: Uint8Array) => new DataView(siginfo.buffer, siginfo.byteOffset).getInt32(0, true);
  for (const siginfo of queued((cores.get(pid)?.tc as MessageValue | undefined)?.signals_s)) {
    task.resetScratch();
    task.call('rt_sigqueueinfo', [pid, signo(siginfo), task.put(siginfo)]);
  }
  for (const [tid, core] of cores) {
    for (const siginfo of queued((core.thread_core as MessageValue | undefined)?.signals_p)) {
      task.resetScratch();
      task.call('rt_tgsigqueueinfo', [pid, tid, signo(siginfo), task.put(siginfo)]);
    }
  }
}
