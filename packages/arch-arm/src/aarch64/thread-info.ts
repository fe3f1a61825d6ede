import { decodeFpsimd, encodeFpsimd } from './fpsimd.js';
import { decodeUserPtRegs, encodeUserPtRegs } from './user-pt-regs.js';

/** A thread's registers as ptrace hands them over: NT_PRSTATUS and the named regsets. */
export interface ThreadRegs {
  gpregs: Uint8Array;
  /** fpregs: NT_PRFPREG (user_fpsimd_state); tls: NT_ARM_TLS (tpidr_el0, u64) */
  regsets: Record<string, Uint8Array>;
  clearTidAddr: bigint;
}

/** CRIU's user_aarch64_regs_entry. */
export interface UserAarch64RegsEntry {
  regs: bigint[];
  sp: bigint;
  pc: bigint;
  pstate: bigint;
}

/** CRIU's user_aarch64_fpsimd_context_entry. */
export interface UserAarch64FpsimdContextEntry {
  vregs: bigint[];
  fpsr: number;
  fpcr: number;
}

/** CRIU's thread_info_aarch64 (pac_keys is left out: ptrace reads them only with PAC hardware). */
export interface ThreadInfoAarch64 {
  clear_tid_addr: bigint;
  tls: bigint;
  gpregs: UserAarch64RegsEntry;
  fpsimd: UserAarch64FpsimdContextEntry;
}

export function toThreadInfo(regs: ThreadRegs): ThreadInfoAarch64 {
  const fp = regs.regsets.fpregs;
  if (!fp) throw new Error('thread_info_aarch64 needs the fpregs regset');
  const tls = regs.regsets.tls;
  return {
    clear_tid_addr: regs.clearTidAddr,
    tls: tls ? new DataView(tls.buffer, tls.byteOffset, tls.byteLength).getBigUint64(0, true) : 0n,
    gpregs: decodeUserPtRegs(regs.gpregs),
    fpsimd: decodeFpsimd(fp),
  };
}

export function fromThreadInfo(ti: ThreadInfoAarch64): ThreadRegs {
  const tls = new Uint8Array(8);
  new DataView(tls.buffer).setBigUint64(0, BigInt.asUintN(64, ti.tls), true);
  return { gpregs: encodeUserPtRegs(ti.gpregs), regsets: { fpregs: encodeFpsimd(ti.fpsimd), tls }, clearTidAddr: ti.clear_tid_addr };
}
