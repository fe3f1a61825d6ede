/**
 * ppc64 general registers as NT_PRSTATUS returns them: `struct pt_regs` (gpr[32], nip, msr,
 * orig_gpr3, ctr, link, xer, ccr, softe, trap, dar, dsisr, result) padded to ELF_NGREG = 48 u64
 * (384 bytes).
 */
export const ptRegsTail = ['nip', 'msr', 'orig_gpr3', 'ctr', 'link', 'xer', 'ccr', 'softe', 'trap', 'dar', 'dsisr', 'result'] as const;
export type PtRegs = { gpr: bigint[] } & Record<(typeof ptRegsTail)[number], bigint>;
export const ELF_NGREG = 48;
export const PT_REGS_SIZE = ELF_NGREG * 8;

export function decodePtRegs(raw: Uint8Array): PtRegs {
  if (raw.byteLength < 44 * 8) throw new RangeError(`ppc64 pt_regs needs 352+ bytes, got ${raw.byteLength}`);
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const r = { gpr: Array.from({ length: 32 }, (_, i) => v.getBigUint64(i * 8, true)) } as PtRegs;
  ptRegsTail.forEach((n, i) => (r[n] = v.getBigUint64((32 + i) * 8, true)));
  return r;
}

export function encodePtRegs(r: PtRegs): Uint8Array {
  const out = new Uint8Array(PT_REGS_SIZE);
  const v = new DataView(out.buffer);
  for (let i = 0; i < 32; i++) v.setBigUint64(i * 8, BigInt.asUintN(64, r.gpr?.[i] ?? 0n), true);
  ptRegsTail.forEach((n, i) => v.setBigUint64((32 + i) * 8, BigInt.asUintN(64, r[n] ?? 0n), true));
  return out;
}
