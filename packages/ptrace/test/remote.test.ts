import { closeSync, openSync, readdirSync, readlinkSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, describe, expect, it } from 'vitest';
import {
  freezeTree, hostArch, installFd, readMaps, readMemory, remoteSyscall, stealFd, thawTree, writeMemory,
  type GadgetMode,
} from '../src/index.js';
import { cleanup, compile, startDetached, stopAndCheck } from './helpers.js';

const arch = hostArch();
const nr = arch.syscalls;

function right<A>(e: E.Either<{ message: string }, A>): A {
  if (E.isLeft(e)) throw new Error(e.left.message);
  return e.right;
}

function call(tid: number, name: string, args: (bigint | number)[], mode: GadgetMode): bigint {
  return right(remoteSyscall(tid, arch, nr[name], args, { mode })).ret;
}

afterAll(async () => {
  expect(await cleanup()).toEqual([]);
});

describe('remote syscalls', () => {
  for (const mode of ['vdso', 'patch'] as const) {
    it(`run inside a frozen program (${mode} gadget) and leave it unharmed`, async () => {
      const t = await startDetached(compile('tree4'), ['16']);
      const tree = right(freezeTree(t.pid));
      const sleeper = Number(t.info.sleeper_tid);

      expect(call(t.pid, 'getpid', [], mode)).toBe(BigInt(t.pid));
      expect(call(sleeper, 'gettid', [], mode)).toBe(BigInt(sleeper));
      expect(call(sleeper, 'getpid', [], mode)).toBe(BigInt(t.pid));

      // mmap a page, use it, and unmap it: the program's own maps show each step.
      const addr = call(t.pid, 'mmap', [0, 4096, 3, 0x22, -1, 0], mode);
      expect(readMaps(t.pid)!.some((m) => m.start === addr)).toBe(true);
      const path = join(t.dir, 'stolen.txt');
      right(writeMemory(t.pid, addr, Buffer.from(`${path}\0`)));
      expect(Buffer.from(right(readMemory(t.pid, addr, path.length))).toString()).toBe(path);

      // openat by the program itself: its fd table shows the file.
      const fd = call(sleeper, 'openat', [-100, addr, 0, 0], mode);
      expect(fd).toBeGreaterThan(2n);
      expect(readlinkSync(`/proc/${t.pid}/fd/${fd}`)).toBe(path);
      expect(call(sleeper, 'close', [fd], mode)).toBe(0n);
      expect(() => readlinkSync(`/proc/${t.pid}/fd/${fd}`)).toThrow();

      expect(call(t.pid, 'munmap', [addr, 4096], mode)).toBe(0n);
      expect(readMaps(t.pid)!.some((m) => m.start === addr)).toBe(false);
      // An error comes back as -errno from the task, not as a failure of the mechanism.
      expect(call(t.pid, 'close', [9999], mode)).toBe(-9n);

      right(thawTree(tree));
      const result = await stopAndCheck(t);
      expect(result.selfcheck, result.failure).toBe('OK');
    });
  }
});

describe('file descriptors', () => {
  it('steals an fd (the same open file: offset shared) and installs one at a chosen number', async () => {
    const t = await startDetached(compile('tree4'), ['16']);
    const tree = right(freezeTree(t.pid));

    const stolen = right(stealFd(t.pid, Number(t.info.fd)));
    const buf = Buffer.alloc(64);
    const n = readSync(stolen, buf, 0, 64, null);
    expect(buf.subarray(0, n).toString()).toBe('ts fd payload\n');
    closeSync(stolen);

    const mine = join(t.dir, 'installed.txt');
    writeFileSync(mine, 'installed by the tracer');
    const local = openSync(mine, 'r');
    const there = right(installFd(Number(t.info.sleeper_tid), arch, local, { targetFd: 100 }));
    closeSync(local);
    expect(there).toBe(100);
    expect(readlinkSync(`/proc/${t.pid}/fd/100`)).toBe(mine);
    // The program reads it itself: pread64(100, page, 64, 0) into a page of its own.
    const page = call(t.pid, 'mmap', [0, 4096, 3, 0x22, -1, 0], 'vdso');
    expect(call(t.pid, 'pread64', [100, page, 64, 0], 'vdso')).toBe(23n);
    expect(Buffer.from(right(readMemory(t.pid, page, 23))).toString()).toBe('installed by the tracer');
    call(t.pid, 'munmap', [page, 4096], 'vdso');
    call(t.pid, 'close', [100], 'vdso');
    // No socket or scratch mapping is left behind.
    expect(readMaps(t.pid)!.some((m) => m.start === page)).toBe(false);

    right(thawTree(tree));
    const result = await stopAndCheck(t);
    expect(result.selfcheck, result.failure).toBe('OK');
    // The program's own fd moved by what we read through our copy: it is the same open file.
    expect(Number(result.fd_offset)).toBe(5 + n);
  });
});

describe('installing an fd at a number the transfer itself uses', () => {
  it('an fd installed at the number of one of the temporary sockets stays open', async () => {
    const t = await startDetached(compile('tree4'), ['16']);
    const tree = right(freezeTree(t.pid));
    const mine = join(t.dir, 'installed.txt');
    writeFileSync(mine, 'installed by the tracer');
    const local = openSync(mine, 'r');
    try {
      // the socketpair takes the two lowest free numbers: ask for each of them in turn
      for (const which of [0, 1]) {
        const used = new Set(readdirSync(`/proc/${t.pid}/fd`).map(Number));
        const free: number[] = [];
        for (let n = 0; free.length < 2; n++) if (!used.has(n)) free.push(n);
        const target = free[which];
        expect(right(installFd(t.pid, arch, local, { targetFd: target }))).toBe(target);
        expect(readlinkSync(`/proc/${t.pid}/fd/${target}`)).toBe(mine);
        // no socket is left behind, and nothing but the installed fd was added
        const now = readdirSync(`/proc/${t.pid}/fd`).map(Number);
        expect(now.sort((a, b) => a - b)).toEqual([...used, target].sort((a, b) => a - b));
      }
    } finally {
      closeSync(local);
    }
    right(thawTree(tree));
    const result = await stopAndCheck(t);
    expect(result.selfcheck, result.failure).toBe('OK');
  });
});

describe('remote fork and thread state only the task knows', () => {
  for (const mode of ['vdso', 'patch'] as const) {
    it(`a remote fork (${mode}) reports the child, held stopped, with the patch undone in its memory`, async () => {
      const { setOptions, killTraced, PTRACE_O, DEFAULT_SEIZE_OPTIONS, taskState } = await import('../src/index.js');
      const t = await startDetached(compile('tree4'), ['16']);
      const tree = right(freezeTree(t.pid));
      right(setOptions(t.pid, DEFAULT_SEIZE_OPTIONS | PTRACE_O.TRACEFORK));
      const site = readMaps(t.pid)!.find((m) => m.perms[2] === 'x' && m.path.startsWith('/'))!.start;
      const before = Buffer.from(right(readMemory(t.pid, site, 8)));
      const r = right(remoteSyscall(t.pid, arch, nr.fork, [], { mode }));
      const child = Number(r.ret);
      expect(child).toBeGreaterThan(0);
      expect(r.events).toEqual([{ event: 1, message: BigInt(child) }]);
      expect(taskState(child)).toBe('t');
      expect(Buffer.from(right(readMemory(child, site, 8)))).toEqual(before);
      expect(Buffer.from(right(readMemory(t.pid, site, 8)))).toEqual(before);
      right(killTraced(child));
      right(setOptions(t.pid, DEFAULT_SEIZE_OPTIONS));
      right(thawTree(tree));
      const result = await stopAndCheck(t);
      expect(result.selfcheck, result.failure).toBe('OK');
    });
  }

  it('reads the clear-child-tid address glibc set for a thread (it points into the thread descriptor)', async () => {
    const { getClearTidAddress } = await import('../src/index.js');
    const t = await startDetached(compile('tree4'), ['16']);
    const tree = right(freezeTree(t.pid));
    const tid = Number(t.info.sleeper_tid);
    const addr = right(getClearTidAddress(tid, arch));
    expect(addr).not.toBe(0n);
    // glibc's clear-tid word is the thread's own tid in its struct pthread.
    const word = Buffer.from(right(readMemory(t.pid, addr, 4))).readInt32LE(0);
    expect(word).toBe(tid);
    right(thawTree(tree));
    const result = await stopAndCheck(t);
    expect(result.selfcheck, result.failure).toBe('OK');
  });
});
