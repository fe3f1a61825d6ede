import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  aarch64, aarch64Abi, arm, armAbi, ARM_PT_REGS_SIZE, decodeArmRegs, decodeUserPtRegs, encodeArmRegs, encodeUserPtRegs, fromThreadInfoAarch64,
  fromThreadInfoArm, toThreadInfoAarch64, toThreadInfoArm, USER_FPSIMD_STATE_SIZE, USER_PT_REGS_SIZE, USER_VFP_SIZE,
} from '../src/index.js';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

describe('aarch64 thread_info', () => {
  it('round-trips user_pt_regs, fpsimd and TLS byte for byte', () => {
    fc.assert(
      fc.property(bytes(USER_PT_REGS_SIZE), bytes(USER_FPSIMD_STATE_SIZE), bytes(8), (gpregs, fp, tls) => {
        fp.fill(0, 520); // __reserved
        const ti = toThreadInfoAarch64({ gpregs, regsets: { fpregs: fp, tls }, clearTidAddr: 7n });
        expect(ti.gpregs.regs).toHaveLength(31);
        expect(ti.fpsimd.vregs).toHaveLength(64);
        const back = fromThreadInfoAarch64(ti);
        expect(Buffer.from(back.gpregs)).toEqual(Buffer.from(gpregs));
        expect(Buffer.from(back.regsets.fpregs)).toEqual(Buffer.from(fp));
        expect(Buffer.from(back.regsets.tls)).toEqual(Buffer.from(tls));
      }),
    );
  });
  it('sets up svc #0 with x8 = nr and reads x0 back', () => {
    const raw = aarch64Abi.syscallRegs(new Uint8Array(USER_PT_REGS_SIZE), 0x4000n, aarch64.syscalls.mmap, [1n, 2n, 3n, 4n, 5n, 6n]);
    const r = decodeUserPtRegs(raw);
    expect(r.regs.slice(0, 6)).toEqual([1n, 2n, 3n, 4n, 5n, 6n]);
    expect(r.regs[8]).toBe(222n);
    expect(r.pc).toBe(0x4000n);
    expect(aarch64Abi.syscallResult(encodeUserPtRegs({ ...r, regs: [2n ** 64n - 12n, ...r.regs.slice(1)] }))).toBe(-12n);
    expect([...aarch64.syscallInsn]).toEqual([0x01, 0x00, 0x00, 0xd4]);
  });
});

describe('arm thread_info', () => {
  it('round-trips pt_regs and VFP, with TLS and the VFP exception registers carried alongside', () => {
    fc.assert(
      fc.property(bytes(ARM_PT_REGS_SIZE), bytes(USER_VFP_SIZE), fc.nat(), (gpregs, vfp, tls) => {
        const ti = toThreadInfoArm({ gpregs, regsets: { vfp }, clearTidAddr: 9n, tls, vfpExc: { fpexc: 1, fpinst: 2, fpinst2: 3 } });
        expect(ti.fpstate.vfp_regs).toHaveLength(32);
        const back = fromThreadInfoArm(ti);
        expect(Buffer.from(back.gpregs)).toEqual(Buffer.from(gpregs));
        expect(Buffer.from(back.regsets.vfp)).toEqual(Buffer.from(vfp));
        expect(back.tls).toBe(tls);
        expect(toThreadInfoArm(back)).toEqual(ti);
      }),
    );
  });
  it('sets up svc #0 in ARM state with r7 = nr', () => {
    const start = decodeArmRegs(new Uint8Array(ARM_PT_REGS_SIZE));
    const raw = armAbi.syscallRegs(encodeArmRegs({ ...start, cpsr: 0x60000030 }), 0x8000n, arm.syscalls.getpid, []);
    const r = decodeArmRegs(raw);
    expect(r.r7).toBe(20);
    expect(r.pc).toBe(0x8000);
    expect(r.cpsr & 0x20).toBe(0);
    expect(armAbi.syscallResult(encodeArmRegs({ ...r, r0: 0xfffffff2 }))).toBe(-14n);
  });
});
