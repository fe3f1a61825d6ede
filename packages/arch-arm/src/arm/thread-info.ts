import { decodeArmRegs, encodeArmRegs, type ArmRegs } from './pt-regs.js';
import { decodeVfp, encodeVfp } from './vfp.js';

/**
 * A 32-bit ARM thread's registers. ARM has no TLS regset: the TLS value comes from
 * PTRACE_GET_THREAD_AREA (request 22), passed here as `tls`.
 */
export interface ThreadRegs {
  gpregs: Uint8Array;
  /** vfp: NT_ARM_VFP (user_vfp) */
  regsets: Record<string, Uint8Array>;
  clearTidAddr: bigint;
  tls?: number;
  /** fpexc, fpinst, fpinst2 when known (not in any regset) */
  vfpExc?: { fpexc: number; fpinst: number; fpinst2: number };
}

/** CRIU's user_arm_regs_entry. */
export type UserArmRegsEntry = ArmRegs;

/** CRIU's user_arm_vfpstate_entry. */
export interface UserArmVfpstateEntry {
  vfp_regs: bigint[];
  fpscr: number;
  fpexc: number;
  fpinst: number;
  fpinst2: number;
}

/** CRIU's thread_info_arm. */
export interface ThreadInfoArm {
  clear_tid_addr: bigint;
  tls: number;
  gpregs: UserArmRegsEntry;
  fpstate: UserArmVfpstateEntry;
}

export function toThreadInfo(regs: ThreadRegs): ThreadInfoArm {
  const vfp = regs.regsets.vfp;
  if (!vfp) throw new Error('thread_info_arm needs the vfp regset');
  const exc = regs.vfpExc ?? { fpexc: 0, fpinst: 0, fpinst2: 0 };
  return { clear_tid_addr: regs.clearTidAddr, tls: regs.tls ?? 0, gpregs: decodeArmRegs(regs.gpregs), fpstate: { ...decodeVfp(vfp), ...exc } };
}

export function fromThreadInfo(ti: ThreadInfoArm): ThreadRegs {
  const { fpexc, fpinst, fpinst2 } = ti.fpstate;
  return {
    gpregs: encodeArmRegs(ti.gpregs),
    regsets: { vfp: encodeVfp(ti.fpstate) },
    clearTidAddr: ti.clear_tid_addr,
    tls: ti.tls,
    vfpExc: { fpexc, fpinst, fpinst2 },
  };
}
