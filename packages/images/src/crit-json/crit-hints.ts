/**
 * The named flag and value tables crit uses for `(criu).flags` and `(criu).dict` fields in
 * `--pretty` output. The values are the kernel's and CRIU's own constants.
 */

export type FlagTable = ReadonlyArray<readonly [string, number]>;

const MMAP_PROT: FlagTable = [
  ['PROT_READ', 0x1],
  ['PROT_WRITE', 0x2],
  ['PROT_EXEC', 0x4],
];

const MMAP_FLAGS: FlagTable = [
  ['MAP_SHARED', 0x1],
  ['MAP_PRIVATE', 0x2],
  ['MAP_DROPPABLE', 0x08],
  ['MAP_ANON', 0x20],
  ['MAP_GROWSDOWN', 0x100],
];

/** CRIU's own VMA_* status bits (what kind of area a VMA is, as the dump saw it). */
const MMAP_STATUS: FlagTable = [
  ['VMA_AREA_NONE', 0],
  ['VMA_AREA_REGULAR', 1 << 0],
  ['VMA_AREA_STACK', 1 << 1],
  ['VMA_AREA_VSYSCALL', 1 << 2],
  ['VMA_AREA_VDSO', 1 << 3],
  ['VMA_AREA_HEAP', 1 << 5],
  ['VMA_FILE_PRIVATE', 1 << 6],
  ['VMA_FILE_SHARED', 1 << 7],
  ['VMA_ANON_SHARED', 1 << 8],
  ['VMA_ANON_PRIVATE', 1 << 9],
  ['VMA_AREA_SYSVIPC', 1 << 10],
  ['VMA_AREA_SOCKET', 1 << 11],
  ['VMA_AREA_VVAR', 1 << 12],
  ['VMA_AREA_AIORING', 1 << 13],
  ['VMA_AREA_MEMFD', 1 << 14],
  ['VMA_AREA_SHSTK', 1 << 15],
  ['VMA_AREA_UPROBES', 1 << 17],
  ['VMA_UNSUPP', 2 ** 31],
];

const OPEN_FLAGS: FlagTable = [
  ['O_WRONLY', 0o1],
  ['O_RDWR', 0o2],
  ['O_CREAT', 0o100],
  ['O_EXCL', 0o200],
  ['O_NOCTTY', 0o400],
  ['O_TRUNC', 0o1000],
  ['O_APPEND', 0o2000],
  ['O_NONBLOCK', 0o4000],
  ['O_DSYNC', 0o10000],
  ['FASYNC', 0o20000],
  ['O_DIRECT', 0o40000],
  ['O_LARGEFILE', 0o100000],
  ['O_DIRECTORY', 0o200000],
  ['O_NOFOLLOW', 0o400000],
  ['O_NOATIME', 0o1000000],
  ['O_CLOEXEC', 0o2000000],
];

const MEMFD_SEALS: FlagTable = [
  ['F_SEAL_SEAL', 0x1],
  ['F_SEAL_SHRINK', 0x2],
  ['F_SEAL_GROW', 0x4],
  ['F_SEAL_WRITE', 0x8],
  ['F_SEAL_FUTURE_WRITE', 0x10],
];

const PAGEMAP_FLAGS: FlagTable = [
  ['PE_PARENT', 1 << 0],
  ['PE_LAZY', 1 << 1],
  ['PE_PRESENT', 1 << 2],
];

export const FLAG_TABLES: Readonly<Record<string, FlagTable>> = {
  'mmap.prot': MMAP_PROT,
  'mmap.flags': MMAP_FLAGS,
  'mmap.status': MMAP_STATUS,
  'rfile.flags': OPEN_FLAGS,
  'pmap.flags': PAGEMAP_FLAGS,
  'seals.flags': MEMFD_SEALS,
};

/** `(criu).dict` tables: the table name, then the field name, then value to name. */
export const VALUE_TABLES: Readonly<Record<string, Readonly<Record<string, ReadonlyMap<number, string>>>>> = {
  gen: {
    task_state: new Map([
      [1, 'Alive'],
      [3, 'Zombie'],
      [6, 'Stopped'],
    ]),
  },
  sk: {
    family: new Map([
      [1, 'UNIX'],
      [2, 'INET'],
      [10, 'INET6'],
      [16, 'NETLINK'],
      [17, 'PACKET'],
    ]),
    type: new Map([
      [1, 'STREAM'],
      [2, 'DGRAM'],
      [3, 'RAW'],
      [5, 'SEQPACKET'],
      [10, 'PACKET'],
    ]),
    state: new Map([
      [1, 'ESTABLISHED'],
      [2, 'SYN_SENT'],
      [3, 'SYN_RECV'],
      [4, 'FIN_WAIT1'],
      [5, 'FIN_WAIT2'],
      [6, 'TIME_WAIT'],
      [7, 'CLOSE'],
      [8, 'CLOSE_WAIT'],
      [9, 'LAST_ACK'],
      [10, 'LISTEN'],
    ]),
    proto: new Map([
      [0, 'IP'],
      [6, 'TCP'],
      [17, 'UDP'],
      [136, 'UDPLITE'],
    ]),
  },
};

/** "NAME | NAME", with bits no name covers appended in hex; "" for zero. */
export function flagsToText(value: number | bigint, table: FlagTable): string {
  // flags fields are 32-bit: plain numbers keep this off BigInt, which matters per entry
  if (typeof value === 'bigint') {
    if (value > 0xffffffffn || value < 0n) return bigFlagsToText(value, table);
    value = Number(value);
  }
  let text = '';
  let rest = value >>> 0;
  for (const [name, bit] of table) {
    if (value & bit) text = text === '' ? name : text + ' | ' + name;
    rest = (rest & ~bit) >>> 0;
  }
  if (rest) text = text === '' ? '0x' + rest.toString(16) : text + ' | 0x' + rest.toString(16);
  return text;
}

function bigFlagsToText(value: bigint, table: FlagTable): string {
  const names: string[] = [];
  let rest = value;
  for (const [name, bit] of table) {
    if (value & BigInt(bit)) names.push(name);
    rest &= ~BigInt(bit);
  }
  if (rest) names.push('0x' + rest.toString(16));
  return names.join(' | ');
}

/** The inverse of flagsToText; a part that is no name is read as a number. */
export function textToFlags(text: string, table: FlagTable): bigint {
  if (text === '') return 0n;
  const byName = new Map(table);
  let value = 0n;
  for (const part of text.split('|').map((p) => p.trim())) {
    const bit = byName.get(part);
    value += bit !== undefined ? BigInt(bit) : parsePythonInt(part);
  }
  return value;
}

/** Python's `int(text, 0)`: decimal, 0x, 0o or 0b, with an optional sign and underscores. */
export function parsePythonInt(text: string): bigint {
  const match = /^\s*([+-]?)(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|[1-9][0-9_]*|0+)\s*$/.exec(text);
  if (!match) throw new Error(`invalid integer ${JSON.stringify(text)}`);
  const digits = match[2].replace(/_/g, '');
  const value = /^0[oO]/.test(digits) ? BigInt('0o' + digits.slice(2)) : BigInt(digits);
  return match[1] === '-' ? -value : value;
}
