import * as E from 'fp-ts/lib/Either.js';
import type { Arch } from './arch.js';
import { PTRACE } from './constants.js';
import { attempt } from './either.js';
import { ESRCH, fail, type PtraceError } from './errors.js';
import { readMemoryRaw } from './memory.js';
import { ptrace, tryPtrace } from './ptrace-request.js';
import { remoteCall, withRemoteScratch } from './scratch.js';
import { waitTask } from './wait.js';

/**
 * Small per-task controls for a thread in one of our ptrace stops: its ptrace options, letting one
 * task go, killing one, and the clear-child-tid address only the task itself can tell.
 */

/** PTRACE_SETOPTIONS: e.g. add PTRACE_O_TRACEFORK/TRACECLONE before a remote fork/clone3, so the child is held too. */
export function setOptions(tid: number, options: number): E.Either<PtraceError, void> {
  return attempt(() => void ptrace(PTRACE.SETOPTIONS, tid, 0, options));
}

/** Detaches one stopped task (e.g. a child created by a remote fork) so it runs on. */
export function detachTask(tid: number): E.Either<PtraceError, void> {
  return attempt(() => void ptrace(PTRACE.DETACH, tid, 0, 0));
}

/** SIGKILLs a task we trace and collects its exit, so it does not stay a zombie because of us. */
export function killTraced(tid: number, timeoutMs = 5000): E.Either<PtraceError, void> {
  return attempt(() => {
    const r = tryPtrace(PTRACE.KILL, tid);
    if (r < 0 && -r !== ESRCH) fail('PTRACE_KILL', tid, -r);
    process.kill(tid, 'SIGKILL');
    for (let i = 0; i < 16; i++) {
      const st = waitTask(tid, timeoutMs);
      if (st.kind !== 'stopped') return;
    }
    fail('waitpid', tid, ESRCH, 'the task did not die');
  });
}

const PR_GET_TID_ADDRESS = 40;

/**
 * The thread's clear_child_tid address (set_tid_address / CLONE_CHILD_CLEARTID), which glibc uses to
 * wake pthread_join: only prctl(PR_GET_TID_ADDRESS) run by the thread itself can read it.
 */
export function getClearTidAddress(tid: number, arch: Arch): E.Either<PtraceError, bigint> {
  return attempt(() =>
    withRemoteScratch(tid, arch, arch.pageSize, (scratch) => {
      remoteCall(tid, arch, 'prctl', [PR_GET_TID_ADDRESS, scratch, 0, 0, 0]);
      const word = readMemoryRaw(tid, scratch, 8);
      return new DataView(word.buffer, word.byteOffset, 8).getBigUint64(0, true);
    }),
  );
}
