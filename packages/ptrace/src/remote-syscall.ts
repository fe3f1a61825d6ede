import { readFileSync } from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import type { Arch } from './arch.js';
import { PTRACE, PTRACE_EVENT, SIG } from './constants.js';
import { attempt } from './either.js';
import { EFAULT, EINVAL, ESRCH, ETIMEDOUT, fail, PtraceFailure, type PtraceError } from './errors.js';
import { addressOf, kbuf } from './libc.js';
import { findGadget, forgetGadgets, type GadgetMode } from './gadget.js';
import { ptrace } from './ptrace-request.js';
import { getRegsetRaw, getSigmaskRaw, setRegsetRaw, setSigmaskRaw } from './regs.js';
import { prepareReturnFrame } from './return-frame.js';
import { waitTask, type WaitStatus } from './wait.js';

export interface RemoteSyscallOptions {
  /** 'vdso' (default: single-step over the vDSO's syscall instruction) or 'patch' (syscall; breakpoint). */
  readonly mode?: GadgetMode;
  /** How long the call may block in the task before it is interrupted, ms. */
  readonly timeoutMs?: number;
  /** The address of a syscall instruction (vdso mode) or of the patch site (patch mode), instead of looking one up. */
  readonly at?: bigint;
}

/**
 * A ptrace event stop the task passed through during the call (a fork/clone/exec it made). A child
 * created with PTRACE_O_TRACEFORK/TRACECLONE in effect is returned attached and stopped, with the
 * caller's registers of the moment (it resumes from the gadget): restore or kill it.
 */
export interface RemoteEvent {
  readonly event: number;
  /** PTRACE_GETEVENTMSG: the new task's pid for fork/vfork/clone, the former tid for exec. */
  readonly message: bigint;
}

export interface RemoteSyscallResult {
  /** The return value, signed; -4095..-1 is -errno. */
  readonly ret: bigint;
  readonly events: readonly RemoteEvent[];
}

/** Every signal blocked but SIGTRAP: a blocked SIGTRAP forced by the breakpoint would reset its handler to SIG_DFL. */
const BLOCK_ALL_BUT_TRAP = ~(1n << BigInt(SIG.SIGTRAP - 1)) & 0xffff_ffff_ffff_ffffn;

const msgBuf = kbuf(8);
const msgAddr = addressOf(msgBuf);
const wordBuf = kbuf(8);
const wordAddr = addressOf(wordBuf);

/**
 * Executes one system call inside a stopped thread and returns its result. The thread must be in a
 * ptrace stop of the calling thread (a frozen tree). Before returning, everything is as it was:
 * registers, signal mask, the patched bytes, and the thread is parked again in an interrupt stop, not
 * in the SIGTRAP stop the call ended in: if the tracer dies between two calls, the kernel detaches
 * the thread from a stop that delivers nothing, and it runs on unharmed.
 */
export function remoteSyscall(
  tid: number,
  arch: Arch,
  nr: number,
  args: readonly (bigint | number)[],
  opts: RemoteSyscallOptions = {},
): E.Either<PtraceError, RemoteSyscallResult> {
  return attempt(() => remoteSyscallRaw(tid, arch, nr, args, opts));
}

export function remoteSyscallRaw(
  tid: number,
  arch: Arch,
  nr: number,
  args: readonly (bigint | number)[],
  opts: RemoteSyscallOptions = {},
): RemoteSyscallResult {
  const mode = opts.mode ?? 'vdso';
  const timeoutMs = opts.timeoutMs ?? 10_000;
  // Registers first: for a task that is gone or not stopped by us, this is where ESRCH comes from.
  const saved = getRegsetRaw(tid, arch.gpregs.note, arch.gpregs.size);
  const insn = arch.syscallInsnFor?.(saved) ?? arch.syscallInsn;
  const savedMask = getSigmaskRaw(tid);
  // A call the tracer's death cannot harm where the task allows it; a vDSO or patch gadget otherwise.
  const safe = mode === 'vdso' && opts.at === undefined ? prepareReturnFrame(tid, arch, saved, savedMask) : undefined;
  const gadget = safe ? { mode, at: safe.at } : opts.at !== undefined ? { mode, at: opts.at } : findGadget(tid, arch, mode, insn);
  const bigArgs = args.map((a) => BigInt(a));
  let callRegs: Uint8Array;
  try {
    callRegs = arch.syscallRegs(saved, gadget.at, nr, bigArgs);
    if (safe) callRegs = arch.returnGadget!.withStackPointer(callRegs, safe.sp);
  } catch (e) {
    // e.g. an ia32 task: refused before anything in the task is touched.
    return fail(`remote syscall ${nr}`, tid, EINVAL, e instanceof Error ? e.message : String(e));
  }
  const patch = mode === 'patch' ? writePatch(tid, gadget.at, arch, insn) : undefined;
  let after: Uint8Array;
  let events: RemoteEvent[] = [];
  let outcome: { timedOut: boolean } = { timedOut: false };
  try {
    // registers before the mask, and back in the other order (restore): a tracer killed in between
    // never leaves the thread at its own code with every signal blocked (at the gadget, its return
    // frame puts the mask back)
    setRegsetRaw(tid, arch.gpregs.note, callRegs);
    setSigmaskRaw(tid, BLOCK_ALL_BUT_TRAP);
    const resume = safe ? PTRACE.SYSCALL : mode === 'patch' ? PTRACE.CONT : PTRACE.SINGLESTEP;
    const end = gadget.at + BigInt(insn.byteLength + (mode === 'patch' ? arch.breakpointInsn.byteLength : 0));
    ({ events, outcome } = runToTrap(tid, resume, end, arch, timeoutMs, nr, patch, safe?.seccomp ?? false));
    after = getRegsetRaw(tid, arch.gpregs.note, arch.gpregs.size);
  } catch (e) {
    // The task died (nothing to restore) or ptrace failed mid-way: restore what can be restored.
    if (!(e instanceof PtraceFailure) || e.error.errno !== ESRCH) restore(tid, arch, saved, savedMask, patch);
    throw e;
  }
  const exec = events.some((ev) => ev.event === PTRACE_EVENT.EXEC);
  if (exec) forgetGadgets();
  // After a successful execve the old registers and code are gone for good.
  if (!exec) restore(tid, arch, saved, savedMask, patch);
  park(tid, timeoutMs, nr);
  if (outcome.timedOut) fail(`remote syscall ${nr}`, tid, ETIMEDOUT, `still blocked after ${timeoutMs} ms; interrupted`);
  return { ret: arch.syscallResult(after), events };
}

interface Patch {
  readonly at: bigint;
  readonly original: bigint;
}

function writePatch(tid: number, at: bigint, arch: Arch, insn: Uint8Array): Patch {
  const original = peek(tid, at);
  const code = new Uint8Array(8);
  new DataView(code.buffer).setBigUint64(0, original, true);
  code.set(insn, 0);
  code.set(arch.breakpointInsn, insn.byteLength);
  poke(tid, at, new DataView(code.buffer).getBigUint64(0, true));
  return { at, original };
}

function restore(tid: number, arch: Arch, regs: Uint8Array, mask: bigint, patch: Patch | undefined): void {
  setSigmaskRaw(tid, mask);
  setRegsetRaw(tid, arch.gpregs.note, regs);
  if (patch) poke(tid, patch.at, patch.original);
}

/**
 * Resumes the thread into the gadget and waits for the trap that ends the call, passing through event
 * stops (fork/clone/exec made by the call, an interrupt or group stop) and handing back any signal that
 * cannot be blocked (SIGSTOP). A call that blocks too long is interrupted like a signal would: the
 * syscall returns -EINTR or a restart code and the thread stops.
 */
function runToTrap(
  tid: number,
  resume: number,
  end: bigint,
  arch: Arch,
  timeoutMs: number,
  nr: number,
  patch: Patch | undefined,
  seccomp = false,
): { events: RemoteEvent[]; outcome: { timedOut: boolean } } {
  const events: RemoteEvent[] = [];
  let timedOut = false;
  let syscallStops = 0;
  ptrace(resume, tid, 0, 0);
  for (let i = 0; i < 10_000; i++) {
    let st: WaitStatus;
    try {
      st = waitTask(tid, timeoutMs);
    } catch (e) {
      if (!(e instanceof PtraceFailure) || e.error.errno !== ETIMEDOUT || timedOut) throw e;
      timedOut = true;
      ptrace(PTRACE.INTERRUPT, tid);
      continue;
    }
    if (st.kind === 'exited') fail(`remote syscall ${nr}`, tid, ESRCH, `the task exited (status ${st.code}) during the call`);
    if (st.kind === 'killed') killedDuring(nr, tid, st.signal);
    if (st.event === PTRACE_EVENT.FORK || st.event === PTRACE_EVENT.VFORK || st.event === PTRACE_EVENT.CLONE || st.event === PTRACE_EVENT.EXEC || st.event === PTRACE_EVENT.VFORK_DONE) {
      ptrace(PTRACE.GETEVENTMSG, tid, 0, msgAddr);
      const message = msgBuf.readBigUInt64LE(0);
      events.push({ event: st.event, message });
      // The auto-attached child reports a stop of its own: take it now, so the caller gets a child it can drive.
      if (st.event === PTRACE_EVENT.FORK || st.event === PTRACE_EVENT.VFORK || st.event === PTRACE_EVENT.CLONE) {
        const child = waitTask(Number(message), timeoutMs);
        // A forked child is a copy of memory that still holds the patch: put the original bytes back there too.
        if (patch && child.kind === 'stopped' && st.event !== PTRACE_EVENT.CLONE) poke(Number(message), patch.at, patch.original);
      }
      ptrace(resume, tid, 0, 0);
      continue;
    }
    if (st.event === PTRACE_EVENT.STOP) {
      if (timedOut) {
        // A single-stepped syscall that was cut short still raised its single-step SIGTRAP on the way
        // out; the interrupt trapped first. Let the thread dequeue it now (it stops for it before any
        // user code runs), or it would hit the next call. Without one pending, stay in this stop:
        // resuming would let the kernel restart the blocking call.
        if (threadSignalPending(tid, SIG.SIGTRAP)) {
          ptrace(PTRACE.CONT, tid, 0, 0);
          continue;
        }
        return { events, outcome: { timedOut } };
      }
      ptrace(resume, tid, 0, 0);
      continue;
    }
    if (resume === PTRACE.SYSCALL && st.signal === (SIG.SIGTRAP | 0x80)) {
      // run with syscall stops: the first is the call's entry, the second its exit
      if (++syscallStops === 1) {
        ptrace(resume, tid, 0, 0);
        continue;
      }
      const pc = arch.programCounter(getRegsetRaw(tid, arch.gpregs.note, arch.gpregs.size));
      if (pc !== end) fail(`remote syscall ${nr}`, tid, EFAULT, `stopped at 0x${pc.toString(16)}, expected 0x${end.toString(16)}`);
      if (seccomp && threadSignalPending(tid, SIG.SIGSYS)) killedDuring(nr, tid, SIG.SIGSYS);
      return { events, outcome: { timedOut } };
    }
    if (st.signal === SIG.SIGTRAP) {
      const regs = getRegsetRaw(tid, arch.gpregs.note, arch.gpregs.size);
      const pc = arch.programCounter(regs);
      if (pc !== end) fail(`remote syscall ${nr}`, tid, EFAULT, `trapped at 0x${pc.toString(16)}, expected 0x${end.toString(16)}`);
      return { events, outcome: { timedOut } };
    }
    // A syscall stop (SIGTRAP|0x80) cannot happen under CONT/SINGLESTEP; any other signal here is one that
    // cannot be blocked: let the task take it, then go on.
    ptrace(resume, tid, 0, st.signal === (SIG.SIGTRAP | 0x80) ? 0 : st.signal);
  }
  return fail(`remote syscall ${nr}`, tid, EFAULT, 'too many stops during one call');
}

/**
 * Moves the thread from the SIGTRAP signal-delivery stop the call ended in to an interrupt stop. In a
 * signal-delivery stop the kernel would deliver the SIGTRAP if the tracer died (and kill the task);
 * resuming it with no signal and a pending PTRACE_INTERRUPT traps again before it reaches user space,
 * so its registers and the syscall-restart logic are untouched.
 */
function park(tid: number, timeoutMs: number, nr: number): void {
  ptrace(PTRACE.INTERRUPT, tid);
  ptrace(PTRACE.CONT, tid, 0, 0);
  for (let i = 0; i < 64; i++) {
    const st = waitTask(tid, timeoutMs);
    // a seccomp kill under syscall stops shows after the call's exit stop, on the way out
    if (st.kind === 'killed') killedDuring(nr, tid, st.signal);
    if (st.kind !== 'stopped') fail('park after remote syscall', tid, ESRCH, 'the task died');
    if (st.event === PTRACE_EVENT.STOP) return;
    ptrace(PTRACE.CONT, tid, 0, st.event === 0 && st.signal !== SIG.SIGTRAP ? st.signal : 0);
  }
  fail('park after remote syscall', tid, EFAULT, 'no interrupt stop');
}

function killedDuring(nr: number, tid: number, signal: number): never {
  const why = signal === SIG.SIGSYS ? ' (seccomp kill; PTRACE_O_SUSPEND_SECCOMP not in effect)' : '';
  return fail(`remote syscall ${nr}`, tid, ESRCH, `the task was killed by signal ${signal}${why} during the call`, signal);
}

/** Whether `sig` is pending for this thread itself (SigPnd, not the process-wide ShdPnd). */
function threadSignalPending(tid: number, sig: number): boolean {
  const m = /^SigPnd:\s+([0-9a-f]+)$/m.exec(readFileSync(`/proc/${tid}/status`, 'utf8'));
  return !!m && (BigInt(`0x${m[1]}`) & (1n << BigInt(sig - 1))) !== 0n;
}

export function peek(tid: number, addr: bigint): bigint {
  ptrace(PTRACE.PEEKDATA, tid, addr, wordAddr);
  return wordBuf.readBigUInt64LE(0);
}

export function poke(tid: number, addr: bigint, word: bigint): void {
  ptrace(PTRACE.POKEDATA, tid, addr, BigInt.asIntN(64, word));
}

