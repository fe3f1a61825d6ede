/** Devices and IP addresses as crit shows them in `--pretty` output. */

/** The kernel's internal dev_t keeps 20 minor bits; the userspace (glibc) one splits them. */
const KERNEL_MINOR_BITS = 20n;

export function formatDev(dev: bigint, userspaceLayout: boolean): string {
  if (userspaceLayout) {
    const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
    const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
    return `${major}:${minor}`;
  }
  return `${dev >> KERNEL_MINOR_BITS}:${dev & ((1n << KERNEL_MINOR_BITS) - 1n)}`;
}

export function parseDev(text: string, userspaceLayout: boolean): bigint {
  const [major, minor] = text.split(':').map((part) => BigInt(part.trim()));
  if (userspaceLayout) {
    return ((major & 0xfffn) << 8n) | ((major & ~0xfffn) << 32n) | (minor & 0xffn) | ((minor & ~0xffn) << 12n);
  }
  return (major << KERNEL_MINOR_BITS) | minor;
}

/** Host-order value of a u32 the kernel stored in network order (the images hold it as read). */
function swap32(value: number): number {
  return (((value & 0xff) << 24) | ((value & 0xff00) << 8) | ((value >>> 8) & 0xff00) | (value >>> 24)) >>> 0;
}

/** One word is IPv4, four are IPv6 (Python's ipaddress text forms). */
export function formatIpAddress(words: number[]): string {
  if (words.length === 1) {
    const v = swap32(words[0]);
    return [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff].join('.');
  }
  const groups: number[] = [];
  for (const word of words.slice(0, 4)) {
    const v = swap32(word);
    groups.push(v >>> 16, v & 0xffff);
  }
  return compressIpv6(groups);
}

/** RFC 5952 text: the longest run of two or more zero groups (the first, on a tie) becomes "::". */
function compressIpv6(groups: number[]): string {
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLength < 2) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLength).join(':');
  return `${head}::${tail}`;
}

/** The words of an address text, in the images' network order. */
export function parseIpAddress(text: string): number[] {
  if (text.includes(':')) return ipv6Words(text);
  const parts = text.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new Error(`invalid IP address ${JSON.stringify(text)}`);
  }
  return [swap32(((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0)];
}

function ipv6Words(text: string): number[] {
  let groups: number[];
  const [head, tail] = text.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').flatMap(ipv6Group));
  if (tail === undefined) groups = parse(head);
  else {
    const left = parse(head);
    const right = parse(tail);
    groups = [...left, ...new Array(8 - left.length - right.length).fill(0), ...right];
  }
  if (groups.length !== 8 || groups.some((g) => !(g >= 0 && g <= 0xffff))) throw new Error(`invalid IPv6 address ${JSON.stringify(text)}`);
  const words: number[] = [];
  for (let i = 0; i < 8; i += 2) words.push(swap32(((groups[i] << 16) | groups[i + 1]) >>> 0));
  return words;
}

/** A group, or the two groups of an embedded dotted IPv4 tail. */
function ipv6Group(part: string): number[] {
  if (part.includes('.')) {
    const v = swap32(parseIpAddress(part)[0]);
    return [v >>> 16, v & 0xffff];
  }
  if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return [NaN];
  return [parseInt(part, 16)];
}
