import { syscallsArm } from './syscalls.js';
import { BKPT_INSN, programCounter, restartSyscall, stackPointer, SVC_INSN, syscallRegs, syscallResult } from './syscall-abi.js';
import { fromThreadInfo, toThreadInfo } from './thread-info.js';
import { ARM_PT_REGS_SIZE, decodeArmRegs } from './pt-regs.js';
import { USER_VFP_SIZE } from './vfp.js';

export * from './pt-regs.js';
export * from './vfp.js';
export * as armAbi from './syscall-abi.js';
export type { ThreadInfoArm, UserArmRegsEntry, UserArmVfpstateEntry } from './thread-info.js';
export { toThreadInfo as toThreadInfoArm, fromThreadInfo as fromThreadInfoArm } from './thread-info.js';
export { syscallsArm } from './syscalls.js';

export const NT_ARM_VFP = 0x400;

/** Everything @criu-ts/ptrace needs to know about 32-bit ARM (EABI, ARM-state gadget). */
export const arm = {
  name: 'arm',
  nodeArch: 'arm',
  pageSize: 4096,
  syscalls: syscallsArm as Readonly<Record<string, number>>,
  syscallInsn: SVC_INSN,
  breakpointInsn: BKPT_INSN,
  gpregs: { note: 1, size: ARM_PT_REGS_SIZE },
  regsets: { vfp: { note: NT_ARM_VFP, size: USER_VFP_SIZE } },
  decodeGpregs: decodeArmRegs,
  syscallRegs,
  syscallResult,
  programCounter,
  stackPointer,
  restartSyscall,
  toThreadInfo,
  fromThreadInfo,
  threadInfoField: 'ti_arm',
} as const;
