import { syscallsIa32 } from './syscalls-ia32.js';
import { syscallsX86_64 } from './syscalls-x86_64.js';
import { decodeUserRegs, encodeUserRegs, USER_REGS32_SIZE, type UserRegs } from './user-regs.js';

/**
 * How an x86-64 thread is made to execute one system call, and how its result comes back:
 * nr in rax, arguments in rdi, rsi, rdx, r10, r8, r9 (r10, not rcx: `syscall` clobbers rcx and r11),
 * result in rax, -4095..-1 meaning -errno.
 */
export const SYSCALL_INSN = Uint8Array.of(0x0f, 0x05);
/** What an ia32 task uses: the 32-bit vDSO has one in __kernel_vsyscall and its sigreturn trampolines. */
export const INT80_INSN = Uint8Array.of(0xcd, 0x80);
export const INT3_INSN = Uint8Array.of(0xcc);

const EFLAGS_TF = 0x100n;
const EFLAGS_DF = 0x400n;
const MINUS_ONE = 0xffff_ffff_ffff_ffffn;

/**
 * The registers that run syscall `nr` when the thread resumes at `at` (an address holding `syscall`).
 * orig_rax = -1 so that the kernel's syscall-restart logic does not rewind rip onto our gadget when a
 * thread stopped inside an interrupted syscall is resumed; TF is cleared so a single-step never
 * fires inside the call unless asked for, and DF because the ABI says so at every call.
 */
export function syscallRegs(raw: Uint8Array, at: bigint, nr: number, args: readonly bigint[]): Uint8Array {
  const regs = decodeUserRegs(raw);
  if (regs.mode !== 'native') {
    // ia32: int 0x80 with nr in eax and arguments in ebx, ecx, edx, esi, edi, ebp (ia32 numbers: syscallsIa32).
    const c = [0, 1, 2, 3, 4, 5].map((i) => BigInt.asUintN(32, args[i] ?? 0n));
    return encodeUserRegs({
      ...regs,
      eax: BigInt(nr), ebx: c[0], ecx: c[1], edx: c[2], esi: c[3], edi: c[4], ebp: c[5],
      orig_eax: 0xffff_ffffn,
      eip: at,
      eflags: regs.eflags & ~(EFLAGS_TF | EFLAGS_DF),
    });
  }
  const a = [0, 1, 2, 3, 4, 5].map((i) => BigInt.asUintN(64, args[i] ?? 0n));
  return encodeUserRegs({
    ...regs,
    rax: BigInt(nr), rdi: a[0], rsi: a[1], rdx: a[2], r10: a[3], r8: a[4], r9: a[5],
    orig_rax: MINUS_ONE,
    rip: at,
    eflags: regs.eflags & ~(EFLAGS_TF | EFLAGS_DF),
  });
}

/** The instruction that enters the kernel for this register set: `syscall`, or `int 0x80` for an ia32 task. */
export function syscallInsnFor(raw: Uint8Array): Uint8Array {
  return raw.byteLength === USER_REGS32_SIZE ? INT80_INSN : SYSCALL_INSN;
}

/** The system call table of the task whose registers these are. */
export function syscallsFor(raw: Uint8Array): Readonly<Record<string, number>> {
  return raw.byteLength === USER_REGS32_SIZE ? syscallsIa32 : syscallsX86_64;
}

/** The syscall's return value, signed: -4095..-1 is -errno. */
export function syscallResult(raw: Uint8Array): bigint {
  const regs = decodeUserRegs(raw);
  if (regs.mode === 'native') return BigInt.asIntN(64, regs.rax);
  // 32-bit results are addresses up to 4 GiB too: only -4095..-1 is an error.
  return regs.eax >= 0xffff_f001n ? regs.eax - 0x1_0000_0000n : regs.eax;
}

export function programCounter(raw: Uint8Array): bigint {
  const regs = decodeUserRegs(raw);
  return regs.mode === 'native' ? regs.rip : regs.eip;
}

export function stackPointer(raw: Uint8Array): bigint {
  const regs = decodeUserRegs(raw);
  return regs.mode === 'native' ? regs.rsp : regs.esp;
}

// The kernel-internal restart codes a syscall leaves in rax when a signal or a ptrace stop cut it short.
const ERESTARTSYS = -512n;
const ERESTARTNOINTR = -513n;
const ERESTARTNOHAND = -514n;
const ERESTART_RESTARTBLOCK = -516n;
const EINTR = 4n;

/**
 * The registers the thread would have after the kernel's restart handling with no signal handler to
 * run (the situation of a thread we stop and later resume somewhere else, or restore): the syscall is
 * re-entered (rip back over the 2-byte `syscall`/`int 0x80`, rax = orig_rax). A restart_block
 * restart depends on kernel state that a dump does not carry, so it becomes -EINTR, which every
 * caller of such calls (nanosleep, clock_nanosleep, poll...) handles.
 */
export function restartSyscall(raw: Uint8Array): Uint8Array {
  const regs = decodeUserRegs(raw);
  const native = regs.mode === 'native';
  const orig = native ? BigInt.asIntN(64, regs.orig_rax) : BigInt.asIntN(32, regs.orig_eax);
  const ret = native ? BigInt.asIntN(64, regs.rax) : BigInt.asIntN(32, regs.eax);
  if (orig < 0n) return raw;
  let next: UserRegs;
  if (ret === ERESTARTSYS || ret === ERESTARTNOINTR || ret === ERESTARTNOHAND) {
    next = native ? { ...regs, rax: regs.orig_rax, rip: regs.rip - 2n } : { ...regs, eax: regs.orig_eax, eip: regs.eip - 2n };
  } else if (ret === ERESTART_RESTARTBLOCK) {
    next = native ? { ...regs, rax: BigInt.asUintN(64, -EINTR) } : { ...regs, eax: BigInt.asUintN(32, -EINTR) };
  } else {
    return raw;
  }
  return encodeUserRegs(next);
}
