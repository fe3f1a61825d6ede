import { syscallsX86_64 } from './syscalls-x86_64.js';
import { INT3_INSN, programCounter, restartSyscall, stackPointer, SYSCALL_INSN, syscallInsnFor, syscallRegs, syscallResult, syscallsFor } from './syscall-abi.js';
import { fromThreadInfo, toThreadInfo } from './thread-info.js';
import { RT_SIGRETURN_INSN, rtSigframe, SYSCALL_RET_INSN, withStackPointer } from './rt-sigframe.js';
import { decodeUserRegs, encodeUserRegs, USER_REGS64_SIZE } from './user-regs.js';

export * from './user-regs.js';
export * from './fxsave.js';
export * from './xsave.js';
export * from './user-desc.js';
export * from './syscall-abi.js';
export * from './rt-sigframe.js';
export * from './thread-info.js';
export { syscallsX86_64 } from './syscalls-x86_64.js';
export { syscallsIa32 } from './syscalls-ia32.js';

// ELF note types of the regsets that make up an x86 thread (linux/elf.h).
export const NT_PRSTATUS = 1;
export const NT_PRFPREG = 2;
export const NT_386_TLS = 0x200;
export const NT_X86_XSTATE = 0x202;

/** Everything @criu-ts/ptrace needs to know about x86-64 (it checks this object against its Arch interface). */
export const x86_64 = {
  name: 'x86_64',
  nodeArch: 'x64',
  pageSize: 4096,
  syscalls: syscallsX86_64 as Readonly<Record<string, number>>,
  syscallInsn: SYSCALL_INSN,
  breakpointInsn: INT3_INSN,
  gpregs: { note: NT_PRSTATUS, size: USER_REGS64_SIZE },
  // xstate is sized for AMX tile data; the kernel shortens the iovec to what this CPU uses.
  regsets: {
    fpregs: { note: NT_PRFPREG, size: 512 },
    xstate: { note: NT_X86_XSTATE, size: 16384 },
    tls: { note: NT_386_TLS, size: 48 },
  },
  decodeGpregs: decodeUserRegs,
  encodeGpregs: encodeUserRegs,
  syscallInsnFor,
  syscallsFor,
  syscallRegs,
  syscallResult,
  programCounter,
  stackPointer,
  restartSyscall,
  returnGadget: { syscallRet: SYSCALL_RET_INSN, sigreturn: RT_SIGRETURN_INSN, frame: rtSigframe, withStackPointer },
  toThreadInfo,
  fromThreadInfo,
  threadInfoField: 'thread_info',
} as const;
