import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ARM_PT_REGS_SIZE, fromThreadInfoAarch64, fromThreadInfoArm, toThreadInfoAarch64, toThreadInfoArm, USER_FPSIMD_STATE_SIZE, USER_PT_REGS_SIZE, USER_VFP_SIZE,
} from '../src/index.js';
import { throughCodec } from './image-codec.js';

const bytes = (n: number) => fc.sample(fc.uint8Array({ minLength: n, maxLength: n }), 10);

describe('arm thread info through the image codec', () => {
  it('thread_info_aarch64: registers survive encode → decode byte for byte', async () => {
    const g = bytes(USER_PT_REGS_SIZE);
    const f = bytes(USER_FPSIMD_STATE_SIZE);
    for (let i = 0; i < g.length; i++) {
      f[i].fill(0, 520);
      const regs = { gpregs: g[i], regsets: { fpregs: f[i], tls: g[i].slice(0, 8) }, clearTidAddr: 1n };
      const { value } = await throughCodec('thread_info_aarch64', toThreadInfoAarch64(regs));
      const back = fromThreadInfoAarch64(value);
      expect(Buffer.from(back.gpregs)).toEqual(Buffer.from(regs.gpregs));
      expect(Buffer.from(back.regsets.fpregs)).toEqual(Buffer.from(regs.regsets.fpregs));
      expect(Buffer.from(back.regsets.tls)).toEqual(Buffer.from(regs.regsets.tls));
    }
  });
  it('thread_info_arm: registers survive encode → decode byte for byte', async () => {
    const g = bytes(ARM_PT_REGS_SIZE);
    const v = bytes(USER_VFP_SIZE);
    for (let i = 0; i < g.length; i++) {
      const regs = { gpregs: g[i], regsets: { vfp: v[i] }, clearTidAddr: 2n, tls: 0x1234 };
      const { value } = await throughCodec('thread_info_arm', toThreadInfoArm(regs));
      const back = fromThreadInfoArm(value);
      expect(Buffer.from(back.gpregs)).toEqual(Buffer.from(regs.gpregs));
      expect(Buffer.from(back.regsets.vfp)).toEqual(Buffer.from(regs.regsets.vfp));
      expect(back.tls).toBe(0x1234);
    }
  });
});
