/**
 * VFP state as NT_ARM_VFP returns it: `struct user_vfp` { u64 fpregs[32]; u32 fpscr } (260 bytes).
 * The exception registers (fpexc, fpinst, fpinst2) of CRIU's image are not part of this regset; they
 * travel as given and are 0 when read through ptrace.
 */
export const USER_VFP_SIZE = 32 * 8 + 4;

export interface Vfp {
  vfp_regs: bigint[];
  fpscr: number;
}

export function decodeVfp(raw: Uint8Array): Vfp {
  if (raw.byteLength < USER_VFP_SIZE) throw new RangeError(`user_vfp is 260 bytes, got ${raw.byteLength}`);
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return { vfp_regs: Array.from({ length: 32 }, (_, i) => v.getBigUint64(i * 8, true)), fpscr: v.getUint32(256, true) };
}

export function encodeVfp(f: Vfp): Uint8Array {
  const out = new Uint8Array(USER_VFP_SIZE);
  const v = new DataView(out.buffer);
  for (let i = 0; i < 32; i++) v.setBigUint64(i * 8, BigInt.asUintN(64, f.vfp_regs?.[i] ?? 0n), true);
  v.setUint32(256, f.fpscr >>> 0, true);
  return out;
}
