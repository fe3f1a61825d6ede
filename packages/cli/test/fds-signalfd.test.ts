import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, selfCheck, startDetached } from './helpers.js';
import { compileFds, critDecode, critDecodesAll, dumpOrThrow, expectOk, gone, imagesDir, removeFdsDirs, restoreOrThrow } from './fds-workloads.js';

/** signalfds keep their signal set and flags; the blocked signals pending at dump are read through them after restore (workloads/fds/signalfd.c). */

let bin: string;
const restored: number[] = [];
beforeAll(() => {
  bin = compileFds('signalfd');
});
afterEach(async () => {
  for (const pid of restored.splice(0)) kill(pid);
  expect(await cleanup()).toEqual([]);
});
afterAll(() => removeFdsDirs());

const SIGUSR1 = 10;
const SIGUSR2 = 12;
/** SIGRTMIN as glibc sees it (the kernel's 32 and 33 are taken by glibc itself). */
const SIGRTMIN = 34;
const O_NONBLOCK = 0o4000;

describe('signalfd', () => {
  it('a signalfd with a mask and pending blocked signals hands them out after restore', async () => {
    const t = await startDetached(bin);
    const images = imagesDir();
    await dumpOrThrow(t.pid, images);
    expect(await gone(t.pid)).toBe(true);

    expect(critDecodesAll(images)).toEqual([]);
    const entries = critDecode(images, 'files.img').entries.filter((e) => e.type === 'SIGNALFD').map((e) => e.sgfd as { flags: string; sigmask: string });
    const bit = (sig: number) => 1n << BigInt(sig - 1);
    // crit prints these fields in hex, as CRIU's proto asks
    expect(entries.map((e) => BigInt(e.sigmask)).sort()).toEqual([bit(SIGUSR2), bit(SIGUSR1) | bit(SIGRTMIN + 2)].sort());
    const nonblocking = entries.find((e) => BigInt(e.sigmask) === (bit(SIGUSR1) | bit(SIGRTMIN + 2)))!;
    expect(Number(nonblocking.flags) & O_NONBLOCK).toBe(O_NONBLOCK);

    restored.push(await restoreOrThrow(images));
    const check = await selfCheck(t);
    expect(check).toMatchObject({ mask: '1', flags: '1', owner: '1', usr1: '1', rt: '1', empty: '1', usr2: '1', drained: '1' });
    expectOk(check);
  });
});

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}
