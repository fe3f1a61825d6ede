import * as E from 'fp-ts/lib/Either.js';
import type { Arch } from './arch.js';
import { attempt } from './either.js';
import { PtraceFailure, type PtraceError } from './errors.js';
import { getRseqConfiguration, getSigmaskRaw, getThreadRegs, type RseqConfiguration, type ThreadRegs } from './regs.js';
import { getClearTidAddress } from './task-control.js';

/** Everything per-thread a dump records, read from a frozen thread. */
export interface ThreadState {
  readonly tid: number;
  /**
   * Registers as the thread must resume after restore: an interrupted syscall already rewound (or
   * turned into -EINTR) as the kernel does when it resumes a thread with no handler to run.
   */
  readonly regs: ThreadRegs;
  /** NT_PRSTATUS exactly as the thread sits in its stop (before the fix-up). */
  readonly stoppedGpregs: Uint8Array;
  readonly sigmask: bigint;
  readonly rseq: RseqConfiguration;
  /** set_tid_address / CLONE_CHILD_CLEARTID (costs three remote syscalls; absent if not asked for). */
  readonly clearTidAddr?: bigint;
}

export function readThreadState(tid: number, arch: Arch, opts: { clearTid?: boolean } = {}): E.Either<PtraceError, ThreadState> {
  return attempt(() => {
    const regs = unwrap(getThreadRegs(tid, arch));
    const sigmask = getSigmaskRaw(tid);
    const rseq = unwrap(getRseqConfiguration(tid));
    const clearTidAddr = opts.clearTid ? unwrap(getClearTidAddress(tid, arch)) : undefined;
    const state: ThreadState = {
      tid,
      regs: { gpregs: arch.restartSyscall(regs.gpregs), regsets: regs.regsets },
      stoppedGpregs: regs.gpregs,
      sigmask,
      rseq,
      ...(clearTidAddr === undefined ? {} : { clearTidAddr }),
    };
    return state;
  });
}

function unwrap<A>(e: E.Either<PtraceError, A>): A {
  if (E.isLeft(e)) throw new PtraceFailure(e.left);
  return e.right;
}
