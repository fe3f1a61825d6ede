import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostArch, sys, sysBig, writeMemoryRaw } from '@criu-ts/ptrace';
import { afterAll, describe, expect, it } from 'vitest';
import { dumpPages, type SelfWriter, type Vma } from '../src/index.js';

const PAGE = 4096;

describe('dumpPages', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mem-dump-pages-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('copies every range itself once the task cannot write to the pages file (EINVAL), asking the task only once', () => {
    // an anonymous mapping of this process (standing in for the dumped task) whose pages are
    // absent until written: three runs of written pages make three ranges
    const nr = hostArch().syscalls;
    const length = 40 * PAGE;
    const base = sysBig(nr.mmap, 0, length, 0x3 /* PROT_READ | PROT_WRITE */, 0x22 /* MAP_PRIVATE | MAP_ANONYMOUS */, -1, 0);
    expect(base).toBeGreaterThan(0n);
    const runs = [
      [2, 4],
      [10, 11],
      [20, 23],
    ];
    for (const [first, end] of runs) {
      for (let page = first; page < end; page++) writeMemoryRaw(process.pid, base + BigInt(page * PAGE), Buffer.alloc(PAGE, page));
    }
    const vma = { start: base, end: base + BigInt(40 * PAGE), dumpPages: true, lazy: false } as unknown as Vma;
    let asked = 0;
    const refusing: SelfWriter = {
      install: () => 100,
      pwrite: () => {
        asked++;
        return -22n;
      },
      close: () => {},
    };
    const result = dumpPages(process.pid, [vma], dir, 1, { selfWriter: refusing });
    sys(nr.munmap, base, length);
    expect(result.pagemap.map((entry) => [Number((entry.vaddr as bigint) - base) / PAGE, Number(entry.nr_pages)])).toEqual([
      [2, 2],
      [10, 1],
      [20, 3],
    ]);
    expect(asked).toBe(1);
    const pages = readFileSync(join(dir, 'pages-1.img'));
    const expected = Buffer.concat(runs.flatMap(([first, end]) => Array.from({ length: end - first }, (_, i) => Buffer.alloc(PAGE, first + i))));
    expect(pages.equals(expected)).toBe(true);
  });
});
