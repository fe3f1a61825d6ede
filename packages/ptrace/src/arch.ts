import { aarch64, arm } from '@criu-ts/arch-arm';
import { ppc64le } from '@criu-ts/arch-ppc64le';
import { x86_64 } from '@criu-ts/arch-x86';

/**
 * What @criu-ts/ptrace needs to know about the CPU a tracee runs on. Each arch package exports one
 * object of this shape without depending on ptrace (it is checked structurally here), so the
 * dependency arrow stays ptrace → arch. Register sets cross this boundary as the raw regset buffers
 * the kernel hands out; only the arch package knows their layout.
 */
export interface Arch {
  readonly name: string;
  /** The `process.arch` value of a Node running on this arch. */
  readonly nodeArch: string;
  readonly pageSize: number;
  readonly syscalls: Readonly<Record<string, number>>;
  /** The bytes of the system call instruction, searched for in the vDSO and written by the patch gadget. */
  readonly syscallInsn: Uint8Array;
  /** The bytes of a breakpoint that raises SIGTRAP, placed after syscallInsn by the patch gadget. */
  readonly breakpointInsn: Uint8Array;
  /** The general registers regset (NT_PRSTATUS) and its size. */
  readonly gpregs: { readonly note: number; readonly size: number };
  /** The other regsets that make up a thread's register state, by name, with a size to read them into. */
  readonly regsets: Readonly<Record<string, { readonly note: number; readonly size: number }>>;
  /** For an arch whose tasks can run another ABI (x86-64 running ia32 code): that task's syscall instruction. */
  syscallInsnFor?(raw: Uint8Array): Uint8Array;
  /** ...and that task's system call table. */
  syscallsFor?(raw: Uint8Array): Readonly<Record<string, number>>;
  decodeGpregs(raw: Uint8Array): object;
  /** Registers that execute syscall `nr` with `args` when the thread resumes at `at`. */
  syscallRegs(raw: Uint8Array, at: bigint, nr: number, args: readonly bigint[]): Uint8Array;
  /** The signed return value of a syscall that just completed. */
  syscallResult(raw: Uint8Array): bigint;
  programCounter(raw: Uint8Array): bigint;
  stackPointer(raw: Uint8Array): bigint;
  /** The interrupted-syscall fix-up the kernel applies when it resumes a thread with no handler to run. */
  restartSyscall(raw: Uint8Array): Uint8Array;
  /** Where a remote call can be made safe against the tracer's death (see the 'sigreturn' gadget). */
  readonly returnGadget?: ReturnGadgetArch;
}

/**
 * A remote call run from `syscallRet` (a syscall instruction followed by a return) with the stack
 * pointer on a signal frame of the thread's own state whose return address is a `sigreturn`
 * trampoline: if the tracer dies during the call, the thread returns into rt_sigreturn and resumes
 * exactly where it was stopped.
 */
export interface ReturnGadgetArch {
  readonly syscallRet: Uint8Array;
  readonly sigreturn: Uint8Array;
  /** The frame that restores `gpregs`, `xstate` and `sigmask` when rt_sigreturn runs with the stack at `at`. */
  frame(gpregs: Uint8Array, xstate: Uint8Array, sigmask: bigint, at: bigint, restorer: bigint): Uint8Array | undefined;
  withStackPointer(raw: Uint8Array, sp: bigint): Uint8Array;
}

// Typed as Arch here, so each arch package's object is checked against the interface at compile time.
const byNodeArch: Readonly<Record<string, Arch>> = {
  x64: x86_64,
  arm64: aarch64,
  arm,
  ppc64: ppc64le,
};

/**
 * The Arch of the machine this Node runs on (tracees are assumed to be native, not compat). Only
 * x86-64 is exercised against real processes; the others are checked against their kernel headers.
 */
export function hostArch(): Arch {
  const arch = byNodeArch[process.arch];
  if (!arch) throw new Error(`@criu-ts/ptrace does not support process.arch ${process.arch} yet`);
  return arch;
}
