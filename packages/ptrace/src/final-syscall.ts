import * as E from 'fp-ts/lib/Either.js';
import type { Arch } from './arch.js';
import { PTRACE, PTRACE_EVENT, SIG } from './constants.js';
import { attempt } from './either.js';
import { EFAULT, ESRCH, fail, type PtraceError } from './errors.js';
import { addressOf, kbuf } from './libc.js';
import { findVdsoGadget } from './gadget.js';
import { ptrace } from './ptrace-request.js';
import { getRegsetRaw, getSigmaskRaw, setRegsetRaw, setSigmaskRaw } from './regs.js';
import type { RemoteEvent } from './remote-syscall.js';
import { waitTask } from './wait.js';

/** The register state a thread gets at the exit of its final remote syscall. */
export interface FinalState {
  /** NT_PRSTATUS to install. */
  readonly gpregs: Uint8Array;
  /** Other regsets by the arch's names (fpregs, xstate, tls...). */
  readonly regsets?: Readonly<Record<string, Uint8Array>>;
  /** The signal mask to leave in place; the thread's current one if absent. */
  readonly sigmask?: bigint;
  /** Where the syscall instruction is (e.g. a helper page the call itself unmaps); the vDSO's by default. */
  readonly at?: bigint;
  /** Detach the thread right after installing the state, so it runs on from there. */
  readonly detach?: boolean;
  /** A signal the thread takes as it is detached, before it runs any code (SIGSTOP: it stays stopped). */
  readonly detachSignal?: number;
  readonly timeoutMs?: number;
}

const msgBuf = kbuf(8);
const msgAddr = addressOf(msgBuf);
const BLOCK_ALL_BUT_TRAP = ~(1n << BigInt(SIG.SIGTRAP - 1)) & 0xffff_ffff_ffff_ffffn;

/**
 * Executes a last syscall in the thread (restore's munmap of its helper page) and, stopped at that
 * syscall's exit (PTRACE_SYSCALL), installs a complete register set: the thread leaves the kernel
 * straight into the state it had when it was dumped, with no instruction of ours run after the call.
 * A syscall-exit stop is also safe to be detached from by a dying tracer (it delivers no signal).
 */
export function finalSyscall(
  tid: number,
  arch: Arch,
  nr: number,
  args: readonly (bigint | number)[],
  state: FinalState,
): E.Either<PtraceError, { ret: bigint; events: RemoteEvent[] }> {
  return attempt(() => {
    const timeoutMs = state.timeoutMs ?? 10_000;
    const at = state.at ?? findVdsoGadget(tid, arch).at;
    const current = getRegsetRaw(tid, arch.gpregs.note, arch.gpregs.size);
    const mask = state.sigmask ?? getSigmaskRaw(tid);
    setSigmaskRaw(tid, BLOCK_ALL_BUT_TRAP);
    setRegsetRaw(tid, arch.gpregs.note, arch.syscallRegs(current, at, nr, args.map((a) => BigInt(a))));
    const events: RemoteEvent[] = [];
    let syscallStops = 0;
    ptrace(PTRACE.SYSCALL, tid, 0, 0);
    for (let i = 0; i < 10_000 && syscallStops < 2; i++) {
      const st = waitTask(tid, timeoutMs);
      if (st.kind !== 'stopped') fail(`final syscall ${nr}`, tid, ESRCH, `the task ${st.kind === 'exited' ? 'exited' : `was killed by signal ${st.signal}`}`);
      let sig = 0;
      if (st.signal === (SIG.SIGTRAP | 0x80) && st.event === 0) syscallStops++;
      else if (st.event !== 0 && st.event !== PTRACE_EVENT.STOP) {
        ptrace(PTRACE.GETEVENTMSG, tid, 0, msgAddr);
        events.push({ event: st.event, message: msgBuf.readBigUInt64LE(0) });
      } else if (st.event === 0) sig = st.signal === SIG.SIGTRAP ? 0 : st.signal;
      if (syscallStops < 2) ptrace(PTRACE.SYSCALL, tid, 0, sig);
    }
    if (syscallStops < 2) fail(`final syscall ${nr}`, tid, EFAULT, 'no syscall-exit stop');
    const ret = arch.syscallResult(getRegsetRaw(tid, arch.gpregs.note, arch.gpregs.size));
    for (const [name, bytes] of Object.entries(state.regsets ?? {})) {
      const set = arch.regsets[name];
      if (!set) fail('PTRACE_SETREGSET', tid, 22, `unknown regset ${name}`);
      setRegsetRaw(tid, set.note, bytes);
    }
    setRegsetRaw(tid, arch.gpregs.note, state.gpregs);
    setSigmaskRaw(tid, mask);
    // from a syscall-exit stop the kernel sends the detach signal to the thread itself
    if (state.detach) ptrace(PTRACE.DETACH, tid, 0, state.detachSignal ?? 0);
    return { ret, events };
  });
}
