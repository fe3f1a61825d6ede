import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImagesDir, type MessageValue } from '@criu-ts/images';
import type { TaskPlan } from '@criu-ts/subsystem';
import { afterAll, describe, expect, it } from 'vitest';
import { readSeccompPlan } from '../src/index.js';

/** readSeccompPlan on images written here: the chains it follows, and the bad ones it refuses. */

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const program = (n: number) => new Uint8Array(8).fill(n);

/** An images directory holding seccomp.img with `filters`, and one task whose threads have `cores`' thread_core fields. */
function plan(filters: MessageValue[] | undefined, threadCores: MessageValue[]): { dir: string; tasks: TaskPlan[] } {
  const dir = mkdtempSync(join(tmpdir(), 'seccomp-plan-'));
  dirs.push(dir);
  if (filters) {
    const images = ImagesDir.open(dir);
    if (images._tag === 'Left') throw new Error(images.left.message);
    const written = images.right.write('seccomp.img', { magic: 'SECCOMP', entries: [{ message: { seccomp_filters: filters }, type: 'seccomp_entry' }] });
    if (written._tag === 'Left') throw new Error(written.left.message);
  }
  const threads = threadCores.map((_, i) => 100 + i);
  const cores = new Map(threads.map((tid, i) => [tid, { thread_core: threadCores[i] } as MessageValue]));
  return { dir, tasks: [{ pid: 100, threads, cores } as unknown as TaskPlan] };
}

function error(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
}

describe('readSeccompPlan', () => {
  it("follows each thread's chain from its first filter, in the order to install it", () => {
    const filters = [{ filter: program(3), flags: 2 }, { filter: program(2), prev: 0, flags: 0 }, { filter: program(1), prev: 1, flags: 1 }];
    const { dir, tasks } = plan(filters, [{ seccomp_mode: 2, seccomp_filter: 2 }, { seccomp_mode: 1 }, {}]);
    const result = readSeccompPlan(dir, tasks);
    expect(result.get(100)).toEqual({
      mode: 'filter',
      chain: [
        { program: program(1), flags: 1 },
        { program: program(2), flags: 0 },
        { program: program(3), flags: 2 },
      ],
    });
    expect(result.get(101)).toEqual({ mode: 'strict' });
    expect(result.has(102)).toBe(false);
  });

  it('refuses a chain that leaves the list, loops, or holds no whole program, and a missing seccomp.img', () => {
    const bad = (filters: MessageValue[] | undefined, first: number) => {
      const { dir, tasks } = plan(filters, [{ seccomp_mode: 2, seccomp_filter: first }]);
      return error(() => readSeccompPlan(dir, tasks));
    };
    expect(bad([{ filter: program(1) }], 1)).toBe('seccomp.img: thread 100 names filter 1, past the 1 it holds');
    expect(bad([{ filter: program(1), prev: 1 }, { filter: program(2), prev: 0 }], 0)).toBe('seccomp.img: the filter chain of thread 100 loops');
    expect(bad([{ filter: new Uint8Array(12) }], 0)).toBe('seccomp.img: filter 0 is 12 bytes, not a seccomp program');
    expect(bad(undefined, 0)).toBe('a thread runs under seccomp filters, but seccomp.img is missing');
    const { dir, tasks } = plan([], [{ seccomp_mode: 7 }]);
    expect(error(() => readSeccompPlan(dir, tasks))).toBe('core-100.img: unknown seccomp mode 7');
  });
});
