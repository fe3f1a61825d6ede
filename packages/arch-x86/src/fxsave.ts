/**
 * The legacy FXSAVE area (`struct user_i387_struct`, 512 bytes): what NT_PRFPREG returns, and the
 * first 512 bytes of the XSAVE area. Offsets are the SDM's FXSAVE layout.
 */
export const FXSAVE_SIZE = 512;

export interface Fxsave {
  cwd: number;
  swd: number;
  twd: number;
  fop: number;
  rip: bigint;
  rdp: bigint;
  mxcsr: number;
  mxcsr_mask: number;
  /** 8 x87 registers, 16 bytes each (80 bits used), as 32 u32 */
  st_space: number[];
  /** 16 xmm registers as 64 u32 */
  xmm_space: number[];
  /**
   * Bytes 416-511 as 24 u32: 48 reserved bytes, then the 48 "software reserved" bytes where the
   * kernel reports XCR0 (u64 at offset 464) in ptrace's XSTATE regset. Kept so a round trip is exact.
   */
  padding: number[];
}

function words(view: DataView, offset: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => view.getUint32(offset + i * 4, true));
}

export function decodeFxsave(raw: Uint8Array): Fxsave {
  if (raw.byteLength < FXSAVE_SIZE) throw new RangeError(`FXSAVE area needs 512 bytes, got ${raw.byteLength}`);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return {
    cwd: view.getUint16(0, true),
    swd: view.getUint16(2, true),
    twd: view.getUint16(4, true),
    fop: view.getUint16(6, true),
    rip: view.getBigUint64(8, true),
    rdp: view.getBigUint64(16, true),
    mxcsr: view.getUint32(24, true),
    mxcsr_mask: view.getUint32(28, true),
    st_space: words(view, 32, 32),
    xmm_space: words(view, 160, 64),
    padding: words(view, 416, 24),
  };
}

/** Writes the FXSAVE fields into the first 512 bytes of `out`. */
export function encodeFxsave(fx: Fxsave, out: Uint8Array): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint16(0, fx.cwd, true);
  view.setUint16(2, fx.swd, true);
  view.setUint16(4, fx.twd, true);
  view.setUint16(6, fx.fop, true);
  view.setBigUint64(8, BigInt.asUintN(64, fx.rip), true);
  view.setBigUint64(16, BigInt.asUintN(64, fx.rdp), true);
  view.setUint32(24, fx.mxcsr >>> 0, true);
  view.setUint32(28, fx.mxcsr_mask >>> 0, true);
  (fx.st_space ?? []).slice(0, 32).forEach((w, i) => view.setUint32(32 + i * 4, w >>> 0, true));
  (fx.xmm_space ?? []).slice(0, 64).forEach((w, i) => view.setUint32(160 + i * 4, w >>> 0, true));
  (fx.padding ?? []).slice(0, 24).forEach((w, i) => view.setUint32(416 + i * 4, w >>> 0, true));
}
