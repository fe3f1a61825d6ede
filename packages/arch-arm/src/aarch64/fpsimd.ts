/**
 * The FP/SIMD registers as NT_PRFPREG returns them: `struct user_fpsimd_state` { u128 vregs[32];
 * u32 fpsr; u32 fpcr; u32 __reserved[2] } (528 bytes). CRIU's image keeps each 128-bit register as
 * two u64 in memory order (low half first on little-endian).
 */
export const USER_FPSIMD_STATE_SIZE = 32 * 16 + 16;

export interface Fpsimd {
  /** 64 u64: v0.lo, v0.hi, v1.lo, ... */
  vregs: bigint[];
  fpsr: number;
  fpcr: number;
}

export function decodeFpsimd(raw: Uint8Array): Fpsimd {
  if (raw.byteLength < 520) throw new RangeError(`user_fpsimd_state needs 520+ bytes, got ${raw.byteLength}`);
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return { vregs: Array.from({ length: 64 }, (_, i) => v.getBigUint64(i * 8, true)), fpsr: v.getUint32(512, true), fpcr: v.getUint32(516, true) };
}

export function encodeFpsimd(f: Fpsimd): Uint8Array {
  const out = new Uint8Array(USER_FPSIMD_STATE_SIZE);
  const v = new DataView(out.buffer);
  for (let i = 0; i < 64; i++) v.setBigUint64(i * 8, BigInt.asUintN(64, f.vregs?.[i] ?? 0n), true);
  v.setUint32(512, f.fpsr >>> 0, true);
  v.setUint32(516, f.fpcr >>> 0, true);
  return out;
}
