import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromThreadInfo, toThreadInfo, USER_REGS64_SIZE, XCR0_OFFSET } from '../src/index.js';
import { throughCodec } from './image-codec.js';

describe('thread_info_x86 through the image codec', () => {
  it('registers survive encode → decode of the protobuf message byte for byte', async () => {
    const samples = fc.sample(fc.uint8Array({ minLength: 4096, maxLength: 4096 }), 20);
    for (const fill of samples) {
      const xstate = fill.slice(0, 2440);
      new DataView(xstate.buffer).setBigUint64(XCR0_OFFSET, 0x207n, true);
      xstate.fill(0, 520, 576);
      const tls = fill.slice(3000, 3048);
      // user_desc's flag word has 7 meaningful bits (seg_32bit..useable); the kernel never sets the rest.
      for (let off = 12; off < 48; off += 16) tls.set([tls[off] & 0x7f, 0, 0, 0], off);
      const regs = { gpregs: fill.slice(0, USER_REGS64_SIZE), regsets: { xstate, fpregs: xstate.slice(0, 512), tls }, clearTidAddr: 0xdeadn };
      const ti = toThreadInfo(regs);
      const { bytes, value } = await throughCodec('thread_info_x86', ti);
      expect(bytes.byteLength).toBeGreaterThan(1000);
      const back = fromThreadInfo(value, { xstateSize: 2440 });
      expect(Buffer.from(back.gpregs)).toEqual(Buffer.from(regs.gpregs));
      // Bytes between XSAVE components belong to no register: the image does not carry them.
      const canonical = fromThreadInfo(ti, { xstateSize: 2440 }).regsets.xstate;
      expect(Buffer.from(canonical.subarray(0, 832))).toEqual(Buffer.from(xstate.subarray(0, 832)));
      expect(Buffer.from(canonical.subarray(2432))).toEqual(Buffer.from(xstate.subarray(2432)));
      expect(Buffer.from(back.regsets.xstate)).toEqual(Buffer.from(canonical));
      expect(Buffer.from(back.regsets.tls)).toEqual(Buffer.from(regs.regsets.tls));
      expect(back.clearTidAddr).toBe(0xdeadn);
    }
  });
});
