import { describe, expect, it } from 'vitest';
import { WireFault, WireReader } from '../src/decode-message.js';

function varint(value: bigint): number[] {
  const out: number[] = [];
  while (value >= 0x80n) {
    out.push(Number(value & 0x7fn) | 0x80);
    value >>= 7n;
  }
  out.push(Number(value));
  return out;
}

function reader(bytes: number[]): WireReader {
  return new WireReader(new Uint8Array(bytes), 0, bytes.length, true);
}

describe('WireReader.varint64Low', () => {
  it('reads every length of varint as two 32-bit words', () => {
    const values = [0n, 1n, 127n, 128n, 2n ** 28n - 1n, 2n ** 28n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 35n + 5n, 2n ** 49n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n];
    for (const value of values) {
      const bytes = varint(value);
      const r = reader([...bytes, 0x2a]);
      const low = r.varint64Low();
      expect(low | 0, 'the low word comes as a signed int32').toBe(low);
      expect((BigInt(r.high) << 32n) | BigInt(low >>> 0), `${value}`).toBe(value);
      expect(r.pos).toBe(bytes.length);
    }
  });

  it('refuses a varint longer than 10 bytes, and one cut short', () => {
    expect(() => reader([...Array(10).fill(0xff), 0x01]).varint64Low()).toThrow(WireFault);
    expect(() => reader([0xff, 0xff, 0xff]).varint64Low()).toThrow(/runs past the end/);
    expect(() => reader([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).varint64Low()).toThrow(/runs past the end/);
  });
});

describe('WireReader.uint32', () => {
  it('reads every length of varint, keeping the low 32 bits', () => {
    const values = [0n, 1n, 127n, 128n, 16383n, 16384n, 2n ** 28n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n + 7n, 2n ** 64n - 1n];
    for (const value of values) {
      const bytes = varint(value);
      const r = reader([...bytes, 0x2a]);
      expect(r.uint32(), `${value}`).toBe(Number(value & 0xffffffffn));
      expect(r.pos).toBe(bytes.length);
    }
  });

  it('refuses a varint longer than 10 bytes, and one cut short', () => {
    expect(() => reader([...Array(10).fill(0xff), 0x01]).uint32()).toThrow(/longer than 10 bytes/);
    expect(() => reader([0xff, 0xff]).uint32()).toThrow(/runs past the end/);
    expect(() => reader([]).uint32()).toThrow(/runs past the end/);
  });
});
