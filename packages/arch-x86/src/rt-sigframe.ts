import { restartSyscall } from './syscall-abi.js';
import { decodeUserRegs, encodeUserRegs } from './user-regs.js';

/** `syscall; ret`: a remote call run here returns through the stack when nobody stops it after the syscall. */
export const SYSCALL_RET_INSN = Uint8Array.of(0x0f, 0x05, 0xc3);
/** `mov $15, %rax; syscall`: rt_sigreturn, the sa_restorer trampoline every glibc (`__restore_rt`) has. */
export const RT_SIGRETURN_INSN = Uint8Array.of(0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05);

// struct rt_sigframe: pretcode, then struct ucontext (flags, link, stack_t, sigcontext, sigmask), then siginfo.
const UC = 8;
const UC_FLAGS = UC;
const UC_STACK = UC + 16;
const UC_MCONTEXT = UC + 40;
const UC_SIGMASK = UC_MCONTEXT + 256;
const FRAME_SIZE = UC_SIGMASK + 8 + 128;
// struct sigcontext_64, in the kernel's order.
const SIGCONTEXT_REGS = ['r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rdi', 'rsi', 'rbp', 'rbx', 'rdx', 'rax', 'rcx', 'rsp', 'rip', 'eflags'] as const;
const SC_CS = 144;
const SC_SS = 150;
const SC_FPSTATE = 184;

const UC_FP_XSTATE = 1;
const UC_SIGCONTEXT_SS = 2;
const UC_STRICT_RESTORE_SS = 4;
/** An ss_flags value the kernel rejects, so rt_sigreturn leaves the alternate signal stack as it is. */
const SS_FLAGS_INVALID = 3;
const FP_XSTATE_MAGIC1 = 0x46505853;
const FP_XSTATE_MAGIC2 = 0x46505845;
// struct _fpx_sw_bytes sits in the unused tail of the legacy FXSAVE area.
const SW_BYTES = 464;
const XSTATE_BV = 512;

/**
 * A signal frame that, when rt_sigreturn runs with the stack pointer at `at`, puts a 64-bit thread
 * back exactly as it was: `gpregs` (its NT_PRSTATUS, with an interrupted syscall set to restart as the
 * kernel would), its full FPU state from `xstate` (NT_X86_XSTATE), and its blocked mask. The frame's
 * return address is `restorer`. Undefined for an ia32 task.
 */
export function rtSigframe(gpregs: Uint8Array, xstate: Uint8Array, sigmask: bigint, at: bigint, restorer: bigint): Uint8Array | undefined {
  const regs = decodeUserRegs(restartSyscall(gpregs));
  if (regs.mode !== 'native') return undefined;
  // fpstate follows the frame, 64-byte aligned (xrstor needs it), with the magic after it
  const fpstate = (at + BigInt(FRAME_SIZE) + 63n) & ~63n;
  const fpOffset = Number(fpstate - at);
  const frame = Buffer.alloc(fpOffset + xstate.length + 4);
  frame.writeBigUInt64LE(restorer, 0);
  frame.writeBigUInt64LE(BigInt(UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS), UC_FLAGS);
  frame.writeInt32LE(SS_FLAGS_INVALID, UC_STACK + 8);
  SIGCONTEXT_REGS.forEach((name, i) => frame.writeBigUInt64LE(regs[name], UC_MCONTEXT + 8 * i));
  frame.writeUInt16LE(Number(regs.cs), UC_MCONTEXT + SC_CS);
  frame.writeUInt16LE(Number(regs.ss), UC_MCONTEXT + SC_SS);
  frame.writeBigUInt64LE(fpstate, UC_MCONTEXT + SC_FPSTATE);
  frame.writeBigUInt64LE(sigmask, UC_SIGMASK);

  frame.set(xstate, fpOffset);
  const sw = fpOffset + SW_BYTES;
  frame.writeUInt32LE(FP_XSTATE_MAGIC1, sw);
  frame.writeUInt32LE(xstate.length + 4, sw + 4);
  frame.writeBigUInt64LE(frame.readBigUInt64LE(fpOffset + XSTATE_BV), sw + 8);
  frame.writeUInt32LE(xstate.length, sw + 16);
  frame.writeUInt32LE(FP_XSTATE_MAGIC2, fpOffset + xstate.length);
  return frame;
}

/** `raw` (a 64-bit NT_PRSTATUS) with the stack pointer at `sp`. */
export function withStackPointer(raw: Uint8Array, sp: bigint): Uint8Array {
  const regs = decodeUserRegs(raw);
  if (regs.mode !== 'native') return raw;
  return encodeUserRegs({ ...regs, rsp: sp });
}
