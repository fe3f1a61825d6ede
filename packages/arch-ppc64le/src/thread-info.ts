import { decodePtRegs, encodePtRegs, type PtRegs } from './pt-regs.js';
import { decodeFpregs, decodeVmx, decodeVsx, encodeFpregs, encodeVmx, encodeVsx } from './vector-regs.js';

/** A thread's registers: NT_PRSTATUS and the named regsets (fpregs, vmx, vsx, and the tm_* ones in a transaction). */
export interface ThreadRegs {
  gpregs: Uint8Array;
  regsets: Record<string, Uint8Array>;
  clearTidAddr: bigint;
}

/** CRIU's user_ppc64_regs_entry. */
export interface UserPpc64RegsEntry {
  gpr: bigint[];
  nip: bigint;
  msr: bigint;
  orig_gpr3: bigint;
  ctr: bigint;
  link: bigint;
  xer: bigint;
  ccr: bigint;
  trap: bigint;
  texasr?: bigint;
  tfhar?: bigint;
  tfiar?: bigint;
}

export interface UserPpc64FpstateEntry { fpregs: bigint[] }
export interface UserPpc64VrstateEntry { vrregs: bigint[]; vrsave: number }
export interface UserPpc64VsxstateEntry { vsxregs: bigint[] }

/** CRIU's user_ppc64_tm_regs_entry: the checkpointed state of a thread inside a transaction. */
export interface UserPpc64TmRegsEntry {
  gpregs: UserPpc64RegsEntry;
  fpstate?: UserPpc64FpstateEntry;
  vrstate?: UserPpc64VrstateEntry;
  vsxstate?: UserPpc64VsxstateEntry;
}

/** CRIU's thread_info_ppc64. */
export interface ThreadInfoPpc64 {
  clear_tid_addr: bigint;
  gpregs: UserPpc64RegsEntry;
  fpstate?: UserPpc64FpstateEntry;
  vrstate?: UserPpc64VrstateEntry;
  vsxstate?: UserPpc64VsxstateEntry;
  tmstate?: UserPpc64TmRegsEntry;
}

function toRegsEntry(r: PtRegs): UserPpc64RegsEntry {
  return { gpr: r.gpr, nip: r.nip, msr: r.msr, orig_gpr3: r.orig_gpr3, ctr: r.ctr, link: r.link, xer: r.xer, ccr: r.ccr, trap: r.trap };
}

// softe, dar, dsisr and result are the kernel's own bookkeeping; the image does not carry them.
function fromRegsEntry(e: UserPpc64RegsEntry): Uint8Array {
  return encodePtRegs({ gpr: e.gpr, nip: e.nip, msr: e.msr, orig_gpr3: e.orig_gpr3, ctr: e.ctr, link: e.link, xer: e.xer, ccr: e.ccr, softe: 0n, trap: e.trap, dar: 0n, dsisr: 0n, result: 0n });
}

export function toThreadInfo(regs: ThreadRegs): ThreadInfoPpc64 {
  const s = regs.regsets;
  const ti: ThreadInfoPpc64 = { clear_tid_addr: regs.clearTidAddr, gpregs: toRegsEntry(decodePtRegs(regs.gpregs)) };
  if (s.fpregs) ti.fpstate = decodeFpregs(s.fpregs);
  if (s.vmx) ti.vrstate = decodeVmx(s.vmx);
  if (s.vsx) ti.vsxstate = decodeVsx(s.vsx);
  if (s.tm_cgpr) {
    // In a transaction: the live registers above are the transactional ones; these are the checkpoint.
    const tm: UserPpc64TmRegsEntry = { gpregs: toRegsEntry(decodePtRegs(s.tm_cgpr)) };
    if (s.tm_cfpr) tm.fpstate = decodeFpregs(s.tm_cfpr);
    if (s.tm_cvmx) tm.vrstate = decodeVmx(s.tm_cvmx);
    if (s.tm_cvsx) tm.vsxstate = decodeVsx(s.tm_cvsx);
    ti.tmstate = tm;
  }
  if (s.tm_spr) {
    const v = new DataView(s.tm_spr.buffer, s.tm_spr.byteOffset, s.tm_spr.byteLength);
    ti.gpregs.tfhar = v.getBigUint64(0, true);
    ti.gpregs.texasr = v.getBigUint64(8, true);
    ti.gpregs.tfiar = v.getBigUint64(16, true);
  }
  return ti;
}

export function fromThreadInfo(ti: ThreadInfoPpc64): ThreadRegs {
  const regsets: Record<string, Uint8Array> = {};
  if (ti.fpstate) regsets.fpregs = encodeFpregs(ti.fpstate);
  if (ti.vrstate) regsets.vmx = encodeVmx(ti.vrstate);
  if (ti.vsxstate) regsets.vsx = encodeVsx(ti.vsxstate);
  if (ti.tmstate) {
    regsets.tm_cgpr = fromRegsEntry(ti.tmstate.gpregs);
    if (ti.tmstate.fpstate) regsets.tm_cfpr = encodeFpregs(ti.tmstate.fpstate);
    if (ti.tmstate.vrstate) regsets.tm_cvmx = encodeVmx(ti.tmstate.vrstate);
    if (ti.tmstate.vsxstate) regsets.tm_cvsx = encodeVsx(ti.tmstate.vsxstate);
  }
  const { tfhar, texasr, tfiar } = ti.gpregs;
  if (tfhar !== undefined || texasr !== undefined || tfiar !== undefined) {
    const spr = new Uint8Array(24);
    const v = new DataView(spr.buffer);
    v.setBigUint64(0, BigInt.asUintN(64, tfhar ?? 0n), true);
    v.setBigUint64(8, BigInt.asUintN(64, texasr ?? 0n), true);
    v.setBigUint64(16, BigInt.asUintN(64, tfiar ?? 0n), true);
    regsets.tm_spr = spr;
  }
  return { gpregs: fromRegsEntry(ti.gpregs), regsets, clearTidAddr: ti.clear_tid_addr };
}
