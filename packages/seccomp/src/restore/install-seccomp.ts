/**
 * A thread's seccomp state put back by the thread itself: strict mode, or its filters installed
 * oldest first with the flags they had. Run it while the tracer suspends seccomp for the task
 * (PTRACE_O_SUSPEND_SECCOMP, which the restore's tasks inherit from the seized donor), so that the
 * remote calls that follow are not filtered, and before the credentials are restored: a task that
 * installed its filters with privileges it later dropped could not install them again.
 */
import { PtraceFailure } from '@criu-ts/ptrace';
import { type RemoteTask, RestoreFault } from '@criu-ts/subsystem';
import type { SeccompPlan } from './seccomp-plan.js';

const SECCOMP_SET_MODE_STRICT = 0;
const SECCOMP_SET_MODE_FILTER = 1;
const INSN_SIZE = 8;

export function restoreSeccomp(thread: RemoteTask, plan: SeccompPlan, pid: number): void {
  const state = plan.get(thread.tid);
  if (!state) return;
  try {
    thread.resetScratch();
    if (state.mode === 'strict') {
      thread.call('seccomp', [SECCOMP_SET_MODE_STRICT, 0, 0]);
      return;
    }
    for (const filter of state.chain) {
      thread.resetScratch();
      const program = thread.put(filter.program);
      // struct sock_fprog: the instruction count, then a pointer to them
      const fprog = Buffer.alloc(16);
      fprog.writeUInt16LE(filter.program.length / INSN_SIZE, 0);
      fprog.writeBigUInt64LE(program, 8);
      thread.call('seccomp', [SECCOMP_SET_MODE_FILTER, filter.flags, thread.put(fprog)]);
    }
  } catch (error) {
    if (error instanceof PtraceFailure) throw new RestoreFault('seccomp', `cannot restore the seccomp state of thread ${thread.tid}: ${error.message}`, pid);
    throw error;
  }
}
