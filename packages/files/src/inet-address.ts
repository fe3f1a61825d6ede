/**
 * An inet socket's address as CRIU's images hold it: 32-bit words of the address's bytes in
 * network order, each read as the host (little-endian) reads memory: one word for IPv4, four for
 * IPv6.
 */

/** The image's words of an address given as its bytes in network order (4 or 16). */
export function inetWords(bytes: Uint8Array): number[] {
  const view = Buffer.from(bytes);
  return Array.from({ length: bytes.length / 4 }, (_, i) => view.readUInt32LE(4 * i));
}

/** The address's bytes in network order from the image's words. */
export function inetBytes(words: readonly number[]): Buffer {
  const bytes = Buffer.alloc(4 * words.length);
  words.forEach((word, i) => bytes.writeUInt32LE(word >>> 0, 4 * i));
  return bytes;
}

/** The address and port for a message: "127.0.0.1:80", "[::1]:80". */
export function describeInetAddress(bytes: Uint8Array, port: number): string {
  const text = inetAddressText(bytes);
  return bytes.length === 4 ? `${text}:${port}` : `[${text}]:${port}`;
}

/** The address as text, as inet_ntop writes it: "127.0.0.1", "::1". */
export function inetAddressText(bytes: Uint8Array): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const groups = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i] << 8) | bytes[2 * i + 1]).toString(16));
  // the longest run of zero groups becomes "::"
  let best = [-1, 0];
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best[1] && j - i > 1) best = [i, j - i];
  }
  return best[0] < 0 ? groups.join(':') : `${groups.slice(0, best[0]).join(':')}::${groups.slice(best[0] + best[1]).join(':')}`;
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (::ffff:a.b.c.d), or undefined: packets to it are IPv4. */
export function mappedIpv4(bytes: Uint8Array): Uint8Array | undefined {
  const mapped = bytes.length === 16 && bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? bytes.subarray(12) : undefined;
}
