import type { MessageValue } from '@criu-ts/images';
import { getSigmaskRaw, PTRACE, ptrace, PtraceFailure, setSigmaskRaw, waitTask } from '@criu-ts/ptrace';
import { type RemoteTask, RestoreFault } from '@criu-ts/subsystem';

const RLIMIT_CORE = 4;
const ESRCH = 3;
const SIGKILL = 9;
const SIGSTOP = 19;

/** The exit status a zombie's core records, in waitpid's form. */
export function zombieStatus(core: MessageValue): number {
  return Number((core.tc as MessageValue | undefined)?.exit_code ?? 0);
}

/**
 * Makes a freshly cloned task die with the status its zombie had, so it waits, a zombie, for its
 * parent to collect it: an exit code through exit_group, a death by signal through that signal with
 * its default action (and no core file). We are its tracer: the remote call that ends it collects the
 * tracer's notice of its death, after which the kernel passes the zombie to its real parent.
 */
export function becomeZombie(task: RemoteTask, status: number): void {
  const signal = status & 0x7f;
  try {
    if (signal === 0) {
      task.try('exit_group', [(status >> 8) & 0xff]);
    } else {
      task.resetScratch();
      task.call('prlimit64', [0, RLIMIT_CORE, task.put(new Uint8Array(16)), 0]);
      // SIGKILL and SIGSTOP have no action to reset
      if (signal !== SIGKILL && signal !== SIGSTOP) {
        const action = new Uint8Array(32); // SIG_DFL, no flags, no restorer, empty mask
        task.call('rt_sigaction', [signal, task.put(action), 0, 8]);
      }
      // through ptrace: a remote call puts back the mask it found, whatever the call did to it
      setSigmaskRaw(task.tid, getSigmaskRaw(task.tid) & ~(1n << BigInt(signal - 1)));
      task.try('kill', [task.tid, signal]);
      // the signal waits, pending, in the stop the call ended in: let the task take it
      letSignalKill(task.tid, signal);
      return;
    }
  } catch (error) {
    // the call that ended the task reports it gone: that is the point
    if (error instanceof PtraceFailure && error.error.errno === ESRCH) return;
    throw error;
  }
  throw new RestoreFault('zombie', `task ${task.tid} did not die with status ${status}`, task.tid);
}

/** Resumes a stopped task with `signal` pending until the signal has killed it. */
function letSignalKill(tid: number, signal: number): void {
  ptrace(PTRACE.CONT, tid, 0, 0);
  for (let i = 0; i < 16; i++) {
    const st = waitTask(tid, 5000);
    if (st.kind === 'killed' || st.kind === 'exited') return;
    // its own signal-delivery stop: deliver it; any other stop: go on
    ptrace(PTRACE.CONT, tid, 0, st.event === 0 && st.signal === signal ? signal : 0);
  }
  throw new RestoreFault('zombie', `task ${tid} did not die of signal ${signal}`, tid);
}
