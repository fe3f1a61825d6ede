import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePtRegs, encodePtRegs, FPREGS_SIZE, fromThreadInfo, PT_REGS_SIZE, toThreadInfo, VMX_SIZE, VSX_SIZE } from '../src/index.js';
import { throughCodec } from './image-codec.js';

const bytes = (n: number) => fc.sample(fc.uint8Array({ minLength: n, maxLength: n }), 10);
const imageable = (g: Uint8Array) => encodePtRegs({ ...decodePtRegs(g), softe: 0n, dar: 0n, dsisr: 0n, result: 0n });

describe('thread_info_ppc64 through the image codec', () => {
  it('registers, FP/VMX/VSX and the TM checkpoint survive encode → decode byte for byte', async () => {
    const [g, fp, vmx, vsx] = [bytes(PT_REGS_SIZE), bytes(FPREGS_SIZE), bytes(VMX_SIZE), bytes(VSX_SIZE)];
    for (let i = 0; i < g.length; i++) {
      vmx[i].fill(0, 33 * 16 + 4);
      const regsets = { fpregs: fp[i], vmx: vmx[i], vsx: vsx[i], tm_cgpr: imageable(g[(i + 1) % g.length]), tm_cfpr: fp[i], tm_cvmx: vmx[i], tm_cvsx: vsx[i], tm_spr: fp[i].slice(0, 24) };
      const { value } = await throughCodec('thread_info_ppc64', toThreadInfo({ gpregs: imageable(g[i]), regsets, clearTidAddr: 5n }));
      const back = fromThreadInfo(value);
      expect(Buffer.from(back.gpregs)).toEqual(Buffer.from(imageable(g[i])));
      for (const [k, v] of Object.entries(regsets)) expect([k, Buffer.from(back.regsets[k])]).toEqual([k, Buffer.from(v)]);
    }
  });
});
