/**
 * The ppc64 floating-point and vector regsets:
 * - NT_PRFPREG: fpr0..fpr31 and fpscr, 33 u64 (264 bytes);
 * - NT_PPC_VMX: vr0..vr31 and vscr as 33 16-byte slots, then vrsave as a u32 at the start of a 34th
 *   slot (544 bytes);
 * - NT_PPC_VSX: the low doublewords of vsr0..vsr31 (the high ones are the FPRs), 32 u64 (256 bytes).
 * CRIU's image keeps the 16-byte slots as consecutive u64 words in memory order.
 */
export const FPREGS_SIZE = 33 * 8;
export const VMX_SIZE = 34 * 16;
export const VSX_SIZE = 32 * 8;

function words(raw: Uint8Array, count: number): bigint[] {
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return Array.from({ length: count }, (_, i) => v.getBigUint64(i * 8, true));
}

function fromWords(list: readonly bigint[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  (list ?? []).forEach((w, i) => v.setBigUint64(i * 8, BigInt.asUintN(64, w), true));
  return out;
}

export const decodeFpregs = (raw: Uint8Array) => ({ fpregs: words(raw, 33) });
export const encodeFpregs = (f: { fpregs: readonly bigint[] }) => fromWords(f.fpregs, FPREGS_SIZE);

export function decodeVmx(raw: Uint8Array): { vrregs: bigint[]; vrsave: number } {
  return { vrregs: words(raw, 66), vrsave: new DataView(raw.buffer, raw.byteOffset, raw.byteLength).getUint32(33 * 16, true) };
}

export function encodeVmx(x: { vrregs: readonly bigint[]; vrsave: number }): Uint8Array {
  const out = fromWords(x.vrregs, VMX_SIZE);
  new DataView(out.buffer).setUint32(33 * 16, x.vrsave >>> 0, true);
  return out;
}

export const decodeVsx = (raw: Uint8Array) => ({ vsxregs: words(raw, 32) });
export const encodeVsx = (x: { vsxregs: readonly bigint[] }) => fromWords(x.vsxregs, VSX_SIZE);
