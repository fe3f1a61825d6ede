import { describe, expect, it } from 'vitest';
import { describeInetAddress, inetAddressText, inetBytes, inetWords, mappedIpv4 } from '../src/inet-address.js';

describe('inet addresses in CRIU images', () => {
  it('are words of the network-order bytes read little-endian, and back', () => {
    const loopback4 = Uint8Array.from([127, 0, 0, 1]);
    expect(inetWords(loopback4)).toEqual([0x0100007f]);
    expect([...inetBytes([0x0100007f])]).toEqual([127, 0, 0, 1]);
    const loopback6 = Uint8Array.from({ length: 16 }, (_, i) => (i === 15 ? 1 : 0));
    expect(inetWords(loopback6)).toEqual([0, 0, 0, 0x01000000]);
    expect([...inetBytes(inetWords(loopback6))]).toEqual([...loopback6]);
  });

  it('are named for messages as address:port, IPv6 in brackets with its longest zero run as ::', () => {
    expect(describeInetAddress(Uint8Array.from([10, 1, 2, 3]), 80)).toBe('10.1.2.3:80');
    expect(describeInetAddress(inetBytes([0, 0, 0, 0x01000000]), 443)).toBe('[::1]:443');
    const doc = Buffer.from('20010db8000000000001000000000001', 'hex');
    expect(describeInetAddress(doc, 8080)).toBe('[2001:db8::1:0:0:1]:8080');
    expect(describeInetAddress(Buffer.from('20010db8000100020003000400050006', 'hex'), 1)).toBe('[2001:db8:1:2:3:4:5:6]:1');
  });

  it('an IPv4-mapped IPv6 address gives its IPv4 address, any other none', () => {
    const mapped = Buffer.from('00000000000000000000ffff7f000001', 'hex');
    expect(inetAddressText(mappedIpv4(mapped)!)).toBe('127.0.0.1');
    expect(mappedIpv4(Buffer.from('00000000000000000000000000000001', 'hex'))).toBeUndefined();
    expect(mappedIpv4(Uint8Array.from([127, 0, 0, 1]))).toBeUndefined();
  });
});
