import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, describe, expect, it } from 'vitest';
import { freezeTree, readMemory, readMemoryBulk, thawTree, writeMemory } from '../src/index.js';
import { cleanup, compile, startDetached, stopAndCheck } from './helpers.js';

function right<A>(e: E.Either<{ message: string }, A>): A {
  if (E.isLeft(e)) throw new Error(e.left.message);
  return e.right;
}

/** The workload's own checksum: FNV-1a over little-endian u32 words. */
function fnv1aWords(state: { h: number }, bytes: Uint8Array): void {
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2);
  let h = state.h;
  for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i], 16777619) >>> 0;
  state.h = h;
}

afterAll(async () => {
  expect(await cleanup()).toEqual([]);
});

describe('memory', () => {
  it('reads 256 MiB of a frozen program with the checksum the program computed itself', async () => {
    const t = await startDetached(compile('tree4'), ['256'], 30_000);
    const tree = right(freezeTree(t.pid));
    const addr = BigInt(t.info.buf);
    const length = Number(t.info.bytes);
    expect(length).toBe(256 << 20);
    const state = { h: 2166136261 };
    const started = performance.now();
    const total = right(await readMemoryBulk(t.pid, [{ addr, length }], (chunk) => fnv1aWords(state, chunk))());
    const ms = performance.now() - started;
    expect(total).toBe(length);
    expect(state.h).toBe(Number(t.info.checksum));
    console.log(`bulk read + checksum of 256 MiB: ${ms.toFixed(0)} ms`);
    right(thawTree(tree));
    const result = await stopAndCheck(t, 60_000);
    expect(result.selfcheck, result.failure).toBe('OK');
  });

  it('reads and writes PROT_NONE and read-only memory through /proc/PID/mem', async () => {
    const t = await startDetached(compile('tree4'), ['16']);
    const tree = right(freezeTree(t.pid));
    const addr = BigInt(t.info.buf);
    const before = right(readMemory(t.pid, addr, 16));
    // mprotect(PROT_NONE) from inside the program, then read and write anyway, then give the access back.
    const { remoteSyscall, hostArch } = await import('../src/index.js');
    const arch = hostArch();
    expect(right(remoteSyscall(t.pid, arch, arch.syscalls.mprotect, [addr, 4096, 0])).ret).toBe(0n);
    expect(Buffer.from(right(readMemory(t.pid, addr, 16)))).toEqual(Buffer.from(before));
    const marker = Buffer.from('written-through!');
    right(writeMemory(t.pid, addr, marker));
    expect(Buffer.from(right(readMemory(t.pid, addr, 16)))).toEqual(marker);
    right(writeMemory(t.pid, addr, before));
    expect(right(remoteSyscall(t.pid, arch, arch.syscalls.mprotect, [addr, 4096, 1])).ret).toBe(0n);
    right(writeMemory(t.pid, addr, before));
    expect(right(remoteSyscall(t.pid, arch, arch.syscalls.mprotect, [addr, 4096, 3])).ret).toBe(0n);
    right(thawTree(tree));
    const result = await stopAndCheck(t);
    expect(result.selfcheck, result.failure).toBe('OK');
  });
});

describe('pagemap', () => {
  it('PAGEMAP_SCAN and pagemap agree on which pages of a fresh mapping the program touched', async () => {
    const { remoteSyscall, hostArch, readPagemap, populatedRanges, PM } = await import('../src/index.js');
    const arch = hostArch();
    const t = await startDetached(compile('tree4'), ['16']);
    const tree = right(freezeTree(t.pid));
    const buf = BigInt(t.info.buf);
    // The program filled its whole buffer: one populated range covers it.
    const whole = right(populatedRanges(t.pid, buf, buf + BigInt(t.info.bytes)));
    expect(whole).toEqual([{ start: buf, end: buf + BigInt(t.info.bytes), categories: 8n }]);

    const base = right(remoteSyscall(t.pid, arch, arch.syscalls.mmap, [0, 16 * 4096, 3, 0x22, -1, 0])).ret;
    for (const page of [2, 3, 9]) right(writeMemory(t.pid, base + BigInt(page * 4096), Buffer.from('x')));
    const ranges = right(populatedRanges(t.pid, base, base + 16n * 4096n));
    expect(ranges.map((r) => [Number(r.start - base) / 4096, Number(r.end - base) / 4096])).toEqual([[2, 4], [9, 10]]);
    const entries = right(readPagemap(t.pid, base, base + 16n * 4096n));
    const present = [...entries].flatMap((e, i) => (e & PM.PRESENT ? [i] : []));
    expect(present).toEqual([2, 3, 9]);
    right(remoteSyscall(t.pid, arch, arch.syscalls.munmap, [base, 16 * 4096]));
    right(thawTree(tree));
    const result = await stopAndCheck(t);
    expect(result.selfcheck, result.failure).toBe('OK');
  });
});

describe('bulk write', () => {
  it('writes 64 MiB into fresh pages of a frozen program, which then reads them itself', async () => {
    const { remoteSyscall, hostArch, writeMemoryBulk } = await import('../src/index.js');
    const arch = hostArch();
    const t = await startDetached(compile('tree4'), ['16']);
    const tree = right(freezeTree(t.pid));
    const length = 64 << 20;
    const base = right(remoteSyscall(t.pid, arch, arch.syscalls.mmap, [0, length, 3, 0x22, -1, 0])).ret;
    const data = new Uint32Array(length / 4);
    for (let i = 0; i < data.length; i++) data[i] = Math.imul(i, 2654435761) >>> 0;
    const bytes = new Uint8Array(data.buffer);
    expect(right(await writeMemoryBulk(t.pid, [{ addr: base, bytes }])())).toBe(length);
    // The program writes a slice of what it now holds to a file of its own: write(fd, base + 1 MiB, 4096).
    const path = join(t.dir, 'proof');
    right(writeMemory(t.pid, base, Buffer.from(`${path}\0`)));
    const fd = right(remoteSyscall(t.pid, arch, arch.syscalls.openat, [-100, base, 0o1101, 0o600])).ret;
    expect(right(remoteSyscall(t.pid, arch, arch.syscalls.write, [fd, base + BigInt(1 << 20), 4096])).ret).toBe(4096n);
    right(remoteSyscall(t.pid, arch, arch.syscalls.close, [fd]));
    expect(Buffer.from(readFileSync(path))).toEqual(Buffer.from(bytes.subarray(1 << 20, (1 << 20) + 4096)));
    const state = { h: 2166136261 };
    right(await readMemoryBulk(t.pid, [{ addr: base + 4096n, length: length - 4096 }], (chunk) => fnv1aWords(state, chunk))());
    const expected = { h: 2166136261 };
    fnv1aWords(expected, bytes.subarray(4096));
    expect(state.h).toBe(expected.h);
    right(remoteSyscall(t.pid, arch, arch.syscalls.munmap, [base, length]));
    right(thawTree(tree));
    const result = await stopAndCheck(t);
    expect(result.selfcheck, result.failure).toBe('OK');
  });
});

describe('write tracking without soft-dirty', () => {
  it('PAGEMAP_SCAN reports exactly the pages the program wrote since the last round', async () => {
    const { remoteSyscall, hostArch, startWriteTracking, collectWrites, stopWriteTracking } = await import('../src/index.js');
    const arch = hostArch();
    const t = await startDetached(compile('tree4'), ['16']);
    const tree = right(freezeTree(t.pid));
    const base = right(remoteSyscall(t.pid, arch, arch.syscalls.mmap, [0, 64 * 4096, 3, 0x22, -1, 0])).ret;
    right(writeMemory(t.pid, base, new Uint8Array(64 * 4096).fill(1)));
    const tracker = right(startWriteTracking(t.pid, arch, [{ start: base, end: base + 64n * 4096n }]));
    expect(right(collectWrites(tracker))).toEqual([]);
    // The program itself writes two pages: clock_gettime stores a timespec where it is told.
    for (const page of [3n, 40n]) expect(right(remoteSyscall(t.pid, arch, arch.syscalls.clock_gettime, [1, base + page * 4096n])).ret).toBe(0n);
    const pages = (rs: { start: bigint; end: bigint }[]) => rs.map((r) => [Number(r.start - base) / 4096, Number(r.end - base) / 4096]);
    expect(pages(right(collectWrites(tracker)))).toEqual([[3, 4], [40, 41]]);
    // Reported pages are protected again: the next round is clean until the next write.
    expect(right(collectWrites(tracker))).toEqual([]);
    right(remoteSyscall(t.pid, arch, arch.syscalls.clock_gettime, [1, base + 9n * 4096n]));
    expect(pages(right(collectWrites(tracker)))).toEqual([[9, 10]]);
    stopWriteTracking(tracker);
    expect(readdirSync(`/proc/${t.pid}/fd`).map((fd) => readlinkSync(`/proc/${t.pid}/fd/${fd}`)).some((l) => l.includes('userfaultfd'))).toBe(false);
    right(remoteSyscall(t.pid, arch, arch.syscalls.munmap, [base, 64 * 4096]));
    right(thawTree(tree));
    const result = await stopAndCheck(t);
    expect(result.selfcheck, result.failure).toBe('OK');
  });
});
