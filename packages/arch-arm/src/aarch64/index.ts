import { syscallsAarch64 } from './syscalls.js';
import { BRK_INSN, programCounter, restartSyscall, stackPointer, SVC_INSN, syscallRegs, syscallResult } from './syscall-abi.js';
import { fromThreadInfo, toThreadInfo } from './thread-info.js';
import { decodeUserPtRegs, USER_PT_REGS_SIZE } from './user-pt-regs.js';
import { USER_FPSIMD_STATE_SIZE } from './fpsimd.js';

export * from './user-pt-regs.js';
export * from './fpsimd.js';
export * as aarch64Abi from './syscall-abi.js';
export type { ThreadInfoAarch64, UserAarch64RegsEntry, UserAarch64FpsimdContextEntry } from './thread-info.js';
export { toThreadInfo as toThreadInfoAarch64, fromThreadInfo as fromThreadInfoAarch64 } from './thread-info.js';
export { syscallsAarch64 } from './syscalls.js';

export const NT_PRSTATUS = 1;
export const NT_PRFPREG = 2;
export const NT_ARM_TLS = 0x401;
export const NT_ARM_SYSTEM_CALL = 0x404;

/** Everything @criu-ts/ptrace needs to know about aarch64 (checked against its Arch interface). */
export const aarch64 = {
  name: 'aarch64',
  nodeArch: 'arm64',
  // Debian's arm64 kernels use 4 KiB pages; 16/64 KiB kernels exist: ptrace should ask sysconf.
  pageSize: 4096,
  syscalls: syscallsAarch64 as Readonly<Record<string, number>>,
  syscallInsn: SVC_INSN,
  breakpointInsn: BRK_INSN,
  gpregs: { note: NT_PRSTATUS, size: USER_PT_REGS_SIZE },
  regsets: {
    fpregs: { note: NT_PRFPREG, size: USER_FPSIMD_STATE_SIZE },
    tls: { note: NT_ARM_TLS, size: 8 },
  },
  decodeGpregs: decodeUserPtRegs,
  syscallRegs,
  syscallResult,
  programCounter,
  stackPointer,
  restartSyscall,
  toThreadInfo,
  fromThreadInfo,
  threadInfoField: 'ti_aarch64',
} as const;
