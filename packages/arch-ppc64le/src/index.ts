import { syscallsPpc64 } from './syscalls.js';
import { programCounter, restartSyscall, SC_INSN, stackPointer, syscallRegs, syscallResult, TRAP_INSN } from './syscall-abi.js';
import { fromThreadInfo, toThreadInfo } from './thread-info.js';
import { decodePtRegs, PT_REGS_SIZE } from './pt-regs.js';
import { FPREGS_SIZE, VMX_SIZE, VSX_SIZE } from './vector-regs.js';

export * from './pt-regs.js';
export * from './vector-regs.js';
export * from './syscall-abi.js';
export * from './thread-info.js';
export { syscallsPpc64 } from './syscalls.js';

// ELF note types of the ppc64 regsets (linux/elf.h).
export const NT_PRSTATUS = 1;
export const NT_PRFPREG = 2;
export const NT_PPC_VMX = 0x100;
export const NT_PPC_VSX = 0x102;
export const NT_PPC_TM_CGPR = 0x108;
export const NT_PPC_TM_CFPR = 0x109;
export const NT_PPC_TM_CVMX = 0x10a;
export const NT_PPC_TM_CVSX = 0x10b;
export const NT_PPC_TM_SPR = 0x10c;

/** Everything @criu-ts/ptrace needs to know about ppc64le (checked against its Arch interface). */
export const ppc64le = {
  name: 'ppc64le',
  nodeArch: 'ppc64',
  // Debian's ppc64el kernels use 64 KiB pages.
  pageSize: 65536,
  syscalls: syscallsPpc64 as Readonly<Record<string, number>>,
  syscallInsn: SC_INSN,
  breakpointInsn: TRAP_INSN,
  gpregs: { note: NT_PRSTATUS, size: PT_REGS_SIZE },
  // The tm_* regsets answer ENODATA outside a transaction; ptrace skips regsets the kernel refuses.
  regsets: {
    fpregs: { note: NT_PRFPREG, size: FPREGS_SIZE },
    vmx: { note: NT_PPC_VMX, size: VMX_SIZE },
    vsx: { note: NT_PPC_VSX, size: VSX_SIZE },
    tm_cgpr: { note: NT_PPC_TM_CGPR, size: PT_REGS_SIZE },
    tm_cfpr: { note: NT_PPC_TM_CFPR, size: FPREGS_SIZE },
    tm_cvmx: { note: NT_PPC_TM_CVMX, size: VMX_SIZE },
    tm_cvsx: { note: NT_PPC_TM_CVSX, size: VSX_SIZE },
    tm_spr: { note: NT_PPC_TM_SPR, size: 24 },
  },
  decodeGpregs: decodePtRegs,
  syscallRegs,
  syscallResult,
  programCounter,
  stackPointer,
  restartSyscall,
  toThreadInfo,
  fromThreadInfo,
  threadInfoField: 'ti_ppc64',
} as const;
