import { FXSAVE_SIZE } from './fxsave.js';

/**
 * The user XSAVE components past the FXSAVE area, in the standard (non-compacted) format that
 * PTRACE_GETREGSET NT_X86_XSTATE uses. A component is present only if XCR0 enables it, which the
 * kernel reports as a u64 at offset 464 of the regset (the FXSAVE "software reserved" bytes). Where
 * each component sits is what CPUID leaf 0xD says, and vendors differ (measured: an AMD CPU with
 * XCR0 = x87|SSE|AVX|PKRU puts PKRU at 2432, Intel's manual at 2688), so the layout is chosen among
 * the known ones as the one whose end matches the size of the area the kernel handed out.
 */
export const XSAVE_HEADER_OFFSET = 512;
export const XCR0_OFFSET = 464;

export const xfeature = {
  fp: 0,
  sse: 1,
  ymm: 2,
  bndregs: 3,
  bndcsr: 4,
  opmask: 5,
  zmm_hi256: 6,
  hi16_zmm: 7,
  pkru: 9,
} as const;

/** How CRIU's user_x86_xsave_entry holds each component: field, size in bytes, word size. */
export const xsaveComponents = [
  { bit: xfeature.ymm, size: 256, field: 'ymmh_space', word: 32 },
  { bit: xfeature.bndregs, size: 64, field: 'bndreg_state', word: 64 },
  { bit: xfeature.bndcsr, size: 16, field: 'bndcsr_state', word: 64 },
  { bit: xfeature.opmask, size: 64, field: 'opmask_reg', word: 64 },
  { bit: xfeature.zmm_hi256, size: 512, field: 'zmm_upper', word: 64 },
  { bit: xfeature.hi16_zmm, size: 1024, field: 'hi16_zmm', word: 64 },
  { bit: xfeature.pkru, size: 8, field: 'pkru', word: 32 },
] as const;

/** Standard-format offsets by feature bit, as CPUID leaf 0xD reports them. */
export type XsaveLayout = Readonly<Record<number, number>>;

export const xsaveLayouts: Readonly<Record<string, XsaveLayout>> = {
  intel: { 2: 576, 3: 960, 4: 1024, 5: 1088, 6: 1152, 7: 1664, 9: 2688 },
  amd: { 2: 576, 5: 832, 6: 896, 7: 1408, 9: 2432 },
};

/** The end of the area XCR0's components occupy under a layout (undefined if the layout lacks one). */
function areaSize(layout: XsaveLayout, xcr0: bigint): number | undefined {
  let size = XSAVE_HEADER_OFFSET + 64;
  for (const c of xsaveComponents) {
    if (!(xcr0 & (1n << BigInt(c.bit)))) continue;
    const off = layout[c.bit];
    if (off === undefined) return undefined;
    size = Math.max(size, off + c.size);
  }
  return size;
}

/** The layout that explains an area of `size` bytes holding XCR0's components. */
export function xsaveLayoutFor(xcr0: bigint, size: number): XsaveLayout {
  for (const layout of Object.values(xsaveLayouts)) if (areaSize(layout, xcr0) === size) return layout;
  throw new RangeError(`no known XSAVE layout has XCR0 0x${xcr0.toString(16)} ending at ${size} bytes`);
}

export interface XsaveExtended {
  xstate_bv: bigint;
  ymmh_space: number[];
  bndreg_state: bigint[];
  bndcsr_state: bigint[];
  opmask_reg: bigint[];
  zmm_upper: bigint[];
  hi16_zmm: bigint[];
  pkru: number[];
}

export function xcr0Of(xstate: Uint8Array): bigint {
  return new DataView(xstate.buffer, xstate.byteOffset, xstate.byteLength).getBigUint64(XCR0_OFFSET, true);
}

export function decodeXsaveExtended(xstate: Uint8Array): XsaveExtended {
  const view = new DataView(xstate.buffer, xstate.byteOffset, xstate.byteLength);
  const xcr0 = xcr0Of(xstate);
  const layout = xsaveLayoutFor(xcr0, xstate.byteLength);
  const out: XsaveExtended = {
    xstate_bv: view.getBigUint64(XSAVE_HEADER_OFFSET, true),
    ymmh_space: [], bndreg_state: [], bndcsr_state: [], opmask_reg: [], zmm_upper: [], hi16_zmm: [], pkru: [],
  };
  for (const c of xsaveComponents) {
    const offset = layout[c.bit];
    if (!(xcr0 & (1n << BigInt(c.bit))) || offset === undefined) continue;
    if (c.word === 32) {
      const list = out[c.field] as number[];
      for (let i = 0; i < c.size / 4; i++) list.push(view.getUint32(offset + i * 4, true));
    } else {
      const list = out[c.field] as bigint[];
      for (let i = 0; i < c.size / 8; i++) list.push(view.getBigUint64(offset + i * 8, true));
    }
  }
  return out;
}

/** The size of the area for XCR0's components under the first known layout that has them all. */
export function xsaveSizeFor(xcr0: bigint): number {
  for (const layout of Object.values(xsaveLayouts)) {
    const size = areaSize(layout, xcr0);
    if (size !== undefined) return size;
  }
  throw new RangeError(`no known XSAVE layout holds XCR0 0x${xcr0.toString(16)}`);
}

/**
 * Writes the header and components into an XSAVE area whose first 512 bytes (XCR0 at 464 included)
 * are already filled; the area's size selects the layout.
 */
export function encodeXsaveExtended(x: XsaveExtended, out: Uint8Array): void {
  if (out.byteLength < FXSAVE_SIZE + 64) throw new RangeError('XSAVE area too small');
  const layout = xsaveLayoutFor(xcr0Of(out), out.byteLength);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setBigUint64(XSAVE_HEADER_OFFSET, BigInt.asUintN(64, x.xstate_bv), true);
  for (const c of xsaveComponents) {
    const list = (x[c.field] ?? []) as (number | bigint)[];
    const offset = layout[c.bit];
    if (list.length === 0) continue;
    if (offset === undefined) throw new RangeError(`this XSAVE layout has no ${c.field}`);
    list.forEach((w, i) => {
      if (c.word === 32) view.setUint32(offset + i * 4, Number(w) >>> 0, true);
      else view.setBigUint64(offset + i * 8, BigInt.asUintN(64, BigInt(w)), true);
    });
  }
}
