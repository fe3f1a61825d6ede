import { readFileSync } from 'node:fs';
import type { Arch } from './arch.js';
import { readMemoryRaw, writeMemoryRaw } from './memory.js';
import { readMaps, threadGroupOf } from './proc.js';
import { getRegsetRaw } from './regs.js';

/** Where a tracer-death-safe remote call runs: the `syscall; ret` to run, the stack pointer to run it with. */
export interface ReturnFrame {
  readonly at: bigint;
  readonly sp: bigint;
  /** The task runs under seccomp: a call its filter kills still reaches its exit stop, with SIGSYS pending. */
  readonly seccomp: boolean;
}

interface Prepared {
  readonly saved: Uint8Array;
  readonly xstate: Uint8Array;
  readonly mask: bigint;
  readonly frame: ReturnFrame;
}

/** The red zone and the scratch areas remote calls use below it stay clear of the frame. */
const KEEP_CLEAR = 128n + 1024n;

/** `syscall; ret` and the rt_sigreturn trampoline found in each address space (by tgid); null: none. */
const gadgets = new Map<number, { syscallRet: bigint; restorer: bigint } | null>();
/**
 * The frame last written for each thread, reused while its saved state (registers, FPU state, mask)
 * is the same: between two calls of a dump the stopped thread writes nothing below its stack pointer.
 */
const prepared = new Map<number, Prepared>();

export function forgetReturnFrames(): void {
  gadgets.clear();
  prepared.clear();
}

/**
 * Writes, below the thread's stack pointer, a signal frame that restores its saved state (`saved`
 * registers, FPU state, blocked mask `mask`), and returns where to run a call so that it ends on that
 * frame: if the tracer dies at any point of the call, the thread runs on from `syscall; ret` into
 * rt_sigreturn and resumes exactly as it was. Undefined where this cannot be had (an arch without
 * it, an ia32 task, no trampoline in the task's code, a stack without room): callers fall back.
 */
export function prepareReturnFrame(tid: number, arch: Arch, saved: Uint8Array, mask: bigint): ReturnFrame | undefined {
  const rg = arch.returnGadget;
  const xstateSet = arch.regsets.xstate;
  if (!rg || !xstateSet) return undefined;
  let xstate: Uint8Array;
  try {
    xstate = getRegsetRaw(tid, xstateSet.note, xstateSet.size);
  } catch {
    return undefined;
  }
  const known = prepared.get(tid);
  if (known && known.mask === mask && Buffer.compare(known.saved, saved) === 0 && Buffer.compare(known.xstate, xstate) === 0) return known.frame;
  const pid = threadGroupOf(tid) ?? tid;
  const code = gadgetsOf(pid, rg.syscallRet, rg.sigreturn);
  if (!code) return undefined;
  const sp = arch.stackPointer(saved);
  const size = BigInt(512 + xstate.length + 4);
  const at = (sp - KEEP_CLEAR - size) & ~63n;
  const stack = (readMaps(pid) ?? []).find((m) => m.start <= at && sp <= m.end);
  if (!stack || !stack.perms.startsWith('rw')) return undefined;
  const frame = rg.frame(saved, xstate, mask, at, code.restorer);
  if (!frame) return undefined;
  writeMemoryRaw(tid, at, frame);
  const ready = { at: code.syscallRet, sp: at, seccomp: underSeccomp(pid) };
  prepared.set(tid, { saved: Uint8Array.from(saved), xstate: Uint8Array.from(xstate), mask, frame: ready });
  return ready;
}

function underSeccomp(pid: number): boolean {
  try {
    return !/^Seccomp:\s+0$/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true;
  }
}

/** Both instruction sequences, searched for in the task's file-backed executable mappings. */
function gadgetsOf(pid: number, syscallRet: Uint8Array, sigreturn: Uint8Array): { syscallRet: bigint; restorer: bigint } | undefined {
  if (gadgets.has(pid)) return gadgets.get(pid) ?? undefined;
  let found: { syscallRet: bigint; restorer: bigint } | null = null;
  let ret: bigint | undefined;
  let restorer: bigint | undefined;
  for (const m of readMaps(pid) ?? []) {
    if (m.perms[2] !== 'x' || !m.path.startsWith('/')) continue;
    let bytes: Uint8Array;
    try {
      bytes = readMemoryRaw(pid, m.start, Number(m.end - m.start));
    } catch {
      continue;
    }
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (ret === undefined) {
      const i = buffer.indexOf(syscallRet);
      if (i >= 0) ret = m.start + BigInt(i);
    }
    if (restorer === undefined) {
      const i = buffer.indexOf(sigreturn);
      if (i >= 0) restorer = m.start + BigInt(i);
    }
    if (ret !== undefined && restorer !== undefined) {
      found = { syscallRet: ret, restorer };
      break;
    }
  }
  gadgets.set(pid, found);
  return found ?? undefined;
}
