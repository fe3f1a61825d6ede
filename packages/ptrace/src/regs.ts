import * as E from 'fp-ts/lib/Either.js';
import type { Arch } from './arch.js';
import { PTRACE } from './constants.js';
import { attempt } from './either.js';
import { fail, PtraceFailure, type PtraceError } from './errors.js';
import { addressOf, kbuf, keepAlive } from './libc.js';
import { ptrace, tryPtrace } from './ptrace-request.js';

/**
 * Register state of a stopped thread through PTRACE_GETREGSET/SETREGSET and the other per-thread
 * ptrace queries. Buffers are raw: their layout belongs to the arch package.
 */

const iov = kbuf(16);
const iovAddr = addressOf(iov);

/** One regset (NT_* note) of a stopped thread, as many bytes as the kernel filled in. */
export function getRegsetRaw(tid: number, note: number, maxSize: number): Uint8Array {
  const buf = kbuf(maxSize);
  iov.writeBigUInt64LE(addressOf(buf), 0);
  iov.writeBigUInt64LE(BigInt(maxSize), 8);
  ptrace(PTRACE.GETREGSET, tid, note, iovAddr);
  const len = Number(iov.readBigUInt64LE(8));
  return new Uint8Array(buf.buffer, buf.byteOffset, len).slice();
}

export function setRegsetRaw(tid: number, note: number, bytes: Uint8Array): void {
  const buf = kbuf(bytes.byteLength);
  buf.set(bytes);
  iov.writeBigUInt64LE(addressOf(buf), 0);
  iov.writeBigUInt64LE(BigInt(bytes.byteLength), 8);
  ptrace(PTRACE.SETREGSET, tid, note, iovAddr);
  keepAlive(buf);
}

const maskBuf = kbuf(8);
const maskAddr = addressOf(maskBuf);

/** The blocked-signal mask (bit n-1 for signal n). */
export function getSigmaskRaw(tid: number): bigint {
  ptrace(PTRACE.GETSIGMASK, tid, 8, maskAddr);
  return maskBuf.readBigUInt64LE(0);
}

export function setSigmaskRaw(tid: number, mask: bigint): void {
  maskBuf.writeBigUInt64LE(BigInt.asUintN(64, mask), 0);
  ptrace(PTRACE.SETSIGMASK, tid, 8, maskAddr);
}

/** A thread's register state: NT_PRSTATUS plus every regset the arch names (those the kernel refuses are left out). */
export interface ThreadRegs {
  gpregs: Uint8Array;
  regsets: Record<string, Uint8Array>;
}

export function getThreadRegs(tid: number, arch: Arch): E.Either<PtraceError, ThreadRegs> {
  return attempt(() => {
    const gpregs = getRegsetRaw(tid, arch.gpregs.note, arch.gpregs.size);
    const regsets: Record<string, Uint8Array> = {};
    for (const [name, { note, size }] of Object.entries(arch.regsets)) {
      try {
        regsets[name] = getRegsetRaw(tid, note, size);
      } catch (e) {
        // The CPU or kernel lacks this state (no XSAVE: ENODEV; ppc64 TM regsets outside a transaction:
        // ENODATA): not an error for the thread.
        if (!(e instanceof PtraceFailure) || !['ENODEV', 'EINVAL', 'EIO', 'ENODATA'].includes(e.error.code)) throw e;
      }
    }
    return { gpregs, regsets };
  });
}

export function setThreadRegs(tid: number, arch: Arch, regs: ThreadRegs): E.Either<PtraceError, void> {
  return attempt(() => {
    for (const [name, bytes] of Object.entries(regs.regsets)) {
      const set = arch.regsets[name];
      if (!set) fail('PTRACE_SETREGSET', tid, 22, `unknown regset ${name}`);
      setRegsetRaw(tid, set.note, bytes);
    }
    setRegsetRaw(tid, arch.gpregs.note, regs.gpregs);
  });
}

export const getGpregs = (tid: number, arch: Arch) => attempt(() => getRegsetRaw(tid, arch.gpregs.note, arch.gpregs.size));
export const setGpregs = (tid: number, arch: Arch, raw: Uint8Array) => attempt(() => setRegsetRaw(tid, arch.gpregs.note, raw));
export const getSigmask = (tid: number) => attempt(() => getSigmaskRaw(tid));
export const setSigmask = (tid: number, mask: bigint) => attempt(() => setSigmaskRaw(tid, mask));

/** struct ptrace_rseq_configuration: where the thread registered its struct rseq (pointer 0: none). */
export interface RseqConfiguration {
  rseq_abi_pointer: bigint;
  rseq_abi_size: number;
  signature: number;
  flags: number;
}

export function getRseqConfiguration(tid: number): E.Either<PtraceError, RseqConfiguration> {
  return attempt(() => {
    const buf = kbuf(32);
    ptrace(PTRACE.GET_RSEQ_CONFIGURATION, tid, 32, addressOf(buf));
    return {
      rseq_abi_pointer: buf.readBigUInt64LE(0),
      rseq_abi_size: buf.readUInt32LE(8),
      signature: buf.readUInt32LE(12),
      flags: buf.readUInt32LE(16),
    };
  });
}

/** struct ptrace_syscall_info: whether the thread is at a syscall entry/exit/seccomp stop, and what it is. */
export type SyscallInfo =
  | { op: 'none'; arch: number; instruction_pointer: bigint; stack_pointer: bigint }
  | { op: 'entry' | 'seccomp'; arch: number; instruction_pointer: bigint; stack_pointer: bigint; nr: bigint; args: bigint[]; ret_data?: number }
  | { op: 'exit'; arch: number; instruction_pointer: bigint; stack_pointer: bigint; rval: bigint; is_error: boolean };

const OPS = ['none', 'entry', 'exit', 'seccomp'] as const;

export function getSyscallInfo(tid: number): E.Either<PtraceError, SyscallInfo> {
  return attempt(() => {
    const buf = kbuf(128);
    ptrace(PTRACE.GET_SYSCALL_INFO, tid, 128, addressOf(buf));
    const op = OPS[buf.readUInt8(0)] ?? 'none';
    const base = { arch: buf.readUInt32LE(4), instruction_pointer: buf.readBigUInt64LE(8), stack_pointer: buf.readBigUInt64LE(16) };
    if (op === 'entry' || op === 'seccomp') {
      const args = Array.from({ length: 6 }, (_, i) => buf.readBigUInt64LE(32 + i * 8));
      return { op, ...base, nr: buf.readBigUInt64LE(24), args, ...(op === 'seccomp' ? { ret_data: buf.readUInt32LE(80) } : {}) };
    }
    if (op === 'exit') return { op, ...base, rval: buf.readBigInt64LE(24), is_error: buf.readUInt8(32) !== 0 };
    return { op: 'none', ...base };
  });
}

/** One classic-BPF seccomp program (struct sock_filter[], 8 bytes per instruction) and its flags. */
export interface SeccompFilter {
  /** The instructions, as the kernel hands them out. */
  filter: Uint8Array;
  /** SECCOMP_FILTER_FLAG_* from PTRACE_SECCOMP_GET_METADATA (only LOG is reported). */
  flags: bigint;
}

/**
 * The seccomp filters attached to a thread, oldest (first installed) first, as the kernel numbers
 * them. ENOENT past the last one ends the list; EMEDIUMTYPE (mode strict) and EINVAL (no
 * filter at all) mean none.
 */
export function getSeccompFilters(tid: number): E.Either<PtraceError, SeccompFilter[]> {
  return attempt(() => {
    const out: SeccompFilter[] = [];
    for (let i = 0; ; i++) {
      const count = tryPtrace(PTRACE.SECCOMP_GET_FILTER, tid, i, 0);
      if (count === -2 /* ENOENT */ || count === -22 /* EINVAL */ || count === -124 /* EMEDIUMTYPE */) break;
      if (count < 0) fail('PTRACE_SECCOMP_GET_FILTER', tid, -count);
      const buf = kbuf(count * 8);
      ptrace(PTRACE.SECCOMP_GET_FILTER, tid, i, addressOf(buf));
      const meta = kbuf(16);
      meta.writeBigUInt64LE(BigInt(i), 0);
      const m = tryPtrace(PTRACE.SECCOMP_GET_METADATA, tid, 16, addressOf(meta));
      out.push({ filter: new Uint8Array(buf), flags: m >= 0 ? meta.readBigUInt64LE(8) : 0n });
    }
    return out;
  });
}
