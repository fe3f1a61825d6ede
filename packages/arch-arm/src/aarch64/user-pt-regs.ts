/**
 * aarch64 general registers as NT_PRSTATUS returns them: `struct user_pt_regs` { u64 regs[31]; sp;
 * pc; pstate } (272 bytes). The syscall number is not in it: it lives in the NT_ARM_SYSTEM_CALL regset.
 */
export const USER_PT_REGS_SIZE = 34 * 8;

export interface UserPtRegs {
  /** x0..x30 */
  regs: bigint[];
  sp: bigint;
  pc: bigint;
  pstate: bigint;
}

export function decodeUserPtRegs(raw: Uint8Array): UserPtRegs {
  if (raw.byteLength !== USER_PT_REGS_SIZE) throw new RangeError(`user_pt_regs is 272 bytes, got ${raw.byteLength}`);
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const regs = Array.from({ length: 31 }, (_, i) => v.getBigUint64(i * 8, true));
  return { regs, sp: v.getBigUint64(248, true), pc: v.getBigUint64(256, true), pstate: v.getBigUint64(264, true) };
}

export function encodeUserPtRegs(r: UserPtRegs): Uint8Array {
  const out = new Uint8Array(USER_PT_REGS_SIZE);
  const v = new DataView(out.buffer);
  for (let i = 0; i < 31; i++) v.setBigUint64(i * 8, BigInt.asUintN(64, r.regs?.[i] ?? 0n), true);
  v.setBigUint64(248, BigInt.asUintN(64, r.sp), true);
  v.setBigUint64(256, BigInt.asUintN(64, r.pc), true);
  v.setBigUint64(264, BigInt.asUintN(64, r.pstate), true);
  return out;
}
