import type { MessageValue } from '@criu-ts/images';
import type { Arch, FrozenTask } from '@criu-ts/ptrace';
import { dumpTaskCore } from './task-core.js';
import { dumpThreadCore, type ThreadCore } from './thread-core.js';
import type { DumpRemote } from '@criu-ts/subsystem';

const MTYPE_X86_64 = 1;

export interface TaskCores {
  /** core-TID.img entries by tid, the leader first. */
  readonly cores: ReadonlyArray<{ readonly tid: number; readonly core: MessageValue }>;
  /** Per-thread stack pointers, leader first. */
  readonly sps: readonly bigint[];
}

/**
 * The core images of one frozen task: every thread's registers and thread_core_entry, and the
 * leader's task_core_entry (CRIU keeps the task-wide state in the leader's core only).
 */
export function dumpTaskCores(task: FrozenTask, arch: Arch, remote: DumpRemote): TaskCores {
  const tids = [task.pid, ...task.threads.map((t) => t.tid).filter((t) => t !== task.pid).sort((a, b) => a - b)];
  const threads: ThreadCore[] = tids.map((tid) => dumpThreadCore(task.pid, tid, arch, remote));
  const leader = threads[0];
  const main = task.threads.find((t) => t.tid === task.pid);
  const stopSignal = main?.stop === 'group-stop' ? main.stopSignal : undefined;
  const tc = dumpTaskCore(task.pid, remote, { stopSignal, blkSigset: leader.blkSigset });
  const cores = threads.map((t, i) => {
    const core: MessageValue = { mtype: MTYPE_X86_64, thread_info: t.threadInfo as unknown as MessageValue };
    if (i === 0) core.tc = tc;
    core.thread_core = t.threadCore;
    return { tid: t.tid, core };
  });
  return { cores, sps: threads.map((t) => t.sp) };
}
