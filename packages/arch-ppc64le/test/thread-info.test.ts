import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodePtRegs, encodePtRegs, FPREGS_SIZE, fromThreadInfo, PT_REGS_SIZE, restartSyscall, syscallRegs, syscallResult, toThreadInfo,
  VMX_SIZE, VSX_SIZE, ppc64le,
} from '../src/index.js';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

/** Zeroes what the image does not carry: softe, dar, dsisr, result and the ELF_NGREG padding. */
function imageable(gpregs: Uint8Array): Uint8Array {
  const r = decodePtRegs(gpregs);
  return encodePtRegs({ ...r, softe: 0n, dar: 0n, dsisr: 0n, result: 0n });
}

describe('ppc64 thread_info', () => {
  it('round-trips pt_regs, FP, VMX, VSX and the TM checkpoint byte for byte', () => {
    fc.assert(
      fc.property(bytes(PT_REGS_SIZE), bytes(FPREGS_SIZE), bytes(VMX_SIZE), bytes(VSX_SIZE), bytes(PT_REGS_SIZE), bytes(24), (g, fp, vmx, vsx, cg, spr) => {
        vmx.fill(0, 33 * 16 + 4); // only vrsave's word of the last slot is meaningful
        const regsets = { fpregs: fp, vmx, vsx, tm_cgpr: imageable(cg), tm_cfpr: fp, tm_cvmx: vmx, tm_cvsx: vsx, tm_spr: spr };
        const ti = toThreadInfo({ gpregs: imageable(g), regsets, clearTidAddr: 3n });
        expect(ti.gpregs.gpr).toHaveLength(32);
        expect(ti.vrstate?.vrregs).toHaveLength(66);
        const back = fromThreadInfo(ti);
        expect(Buffer.from(back.gpregs)).toEqual(Buffer.from(imageable(g)));
        for (const [k, v] of Object.entries(regsets)) expect([k, Buffer.from(back.regsets[k])]).toEqual([k, Buffer.from(v)]);
      }),
      { numRuns: 30 },
    );
  });

  it('sets up sc with r0 = nr, reads the CR0.SO error convention, and applies the restart rules', () => {
    const base = decodePtRegs(new Uint8Array(PT_REGS_SIZE));
    const r = decodePtRegs(syscallRegs(encodePtRegs({ ...base, trap: 0xc00n }), 0x10000n, ppc64le.syscalls.getpid, [1n, 2n]));
    expect([r.gpr[0], r.gpr[3], r.gpr[4], r.nip, r.trap]).toEqual([20n, 1n, 2n, 0x10000n, 0n]);
    expect(syscallResult(encodePtRegs({ ...r, gpr: r.gpr.map((v, i) => (i === 3 ? 9n : v)), ccr: 0x10000000n }))).toBe(-9n);
    expect(syscallResult(encodePtRegs({ ...r, gpr: r.gpr.map((v, i) => (i === 3 ? 9n : v)), ccr: 0n }))).toBe(9n);

    const interrupted = (code: bigint) => encodePtRegs({ ...base, gpr: base.gpr.map((v, i) => (i === 3 ? code : v)), orig_gpr3: 5n, nip: 0x2004n, trap: 0xc01n, ccr: 0x10000000n });
    for (const code of [512n, 513n, 514n]) expect(decodePtRegs(restartSyscall(interrupted(code)))).toMatchObject({ nip: 0x2000n, ccr: 0n, orig_gpr3: 5n });
    expect(decodePtRegs(restartSyscall(interrupted(512n))).gpr[3]).toBe(5n);
    const block = decodePtRegs(restartSyscall(interrupted(516n)));
    expect([block.gpr[3], block.nip, block.ccr]).toEqual([4n, 0x2004n, 0x10000000n]);
    expect([...ppc64le.syscallInsn]).toEqual([0x02, 0x00, 0x00, 0x44]);
  });
});
