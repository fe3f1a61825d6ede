import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, selfCheck, startDetached, type Target } from './helpers.js';
import { compileFds, critDecode, critDecodesAll, dumpOrThrow, expectOk, gone, imagesDir, removeFdsDirs, restoreOrThrow } from './fds-workloads.js';

/**
 * timerfds keep their clock, interval, settime flags and unread expirations, and fire after restore
 * when they would have (workloads/fds/timerfd.c).
 */

let bin: string;
const restored: number[] = [];
beforeAll(() => {
  bin = compileFds('timerfd');
});
afterEach(async () => {
  for (const pid of restored.splice(0)) kill(pid);
  expect(await cleanup()).toEqual([]);
});
afterAll(() => removeFdsDirs());

const CLOCK_REALTIME = 0;
const CLOCK_MONOTONIC = 1;
const TFD_TIMER_ABSTIME = 1;
const TFD_TIMER_CANCEL_ON_SET = 2;
/**
 * How far ahead the absolute timer is armed, just before the dump: it must still be pending when
 * the dump reads it. A dump on a heavily loaded machine (this one is shared) can take seconds, so a
 * run in which it expired first is started again with more time.
 */
const LEADS_MS = [1500, 5000, 15000];

interface TimerfdEntry {
  clockid: number;
  ticks: number;
  /** crit prints it in hex ("0x1"), or 0 */
  settime_flags: string | number;
  vsec: number;
  vnsec: number;
  isec: number;
  insec: number;
}

const left = (e: TimerfdEntry) => BigInt(e.vsec) * 1_000_000_000n + BigInt(e.vnsec);

describe('timerfd', () => {
  it('a periodic timer keeps its counted expirations and period, an ABSTIME one-shot fires at its time and not before', async () => {
    let run: { t: Target; images: string; timers: TimerfdEntry[] } | undefined;
    for (const lead of LEADS_MS) {
      const t = await startDetached(bin, [String(lead)]);
      const images = imagesDir();
      await dumpOrThrow(t.pid, images);
      expect(await gone(t.pid)).toBe(true);
      expect(critDecodesAll(images)).toEqual([]);
      const timers = critDecode(images, 'files.img').entries.filter((e) => e.type === 'TIMERFD').map((e) => e.tfd as TimerfdEntry);
      expect(timers).toHaveLength(4);
      const absolute = timers.find((e) => Number(e.settime_flags) === TFD_TIMER_ABSTIME)!;
      if (left(absolute) > 0n) {
        run = { t, images, timers };
        break;
      }
    }
    if (!run) throw new Error(`every dump took longer than the absolute timer's lead (${LEADS_MS.join(', ')} ms)`);
    const { t, images, timers } = run;

    const periodic = timers.find((e) => e.insec === 300_000_000)!;
    expect(periodic).toMatchObject({ clockid: CLOCK_MONOTONIC, isec: 0 });
    expect(Number(periodic.settime_flags)).toBe(0);
    expect(periodic.ticks).toBeGreaterThanOrEqual(Number(t.info.before));
    // armed: the time left is that to its next expiry
    expect(left(periodic)).toBeGreaterThan(0n);
    expect(left(periodic)).toBeLessThanOrEqual(300_000_000n);
    // still pending at dump, so what fires after restore is the restored timer
    const absolute = timers.find((e) => Number(e.settime_flags) === TFD_TIMER_ABSTIME)!;
    expect(absolute).toMatchObject({ clockid: CLOCK_MONOTONIC, ticks: 0, isec: 0, insec: 0 });
    const spent = timers.find((e) => e.ticks === 1 && e.insec === 0 && Number(e.settime_flags) === 0)!;
    expect(spent).toMatchObject({ clockid: CLOCK_MONOTONIC, vsec: 0, vnsec: 0, isec: 0 });
    const wallclock = timers.find((e) => e.clockid === CLOCK_REALTIME)!;
    expect(Number(wallclock.settime_flags)).toBe(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET);
    expect(wallclock.vsec).toBeGreaterThan(3500);

    // the Node clock behind hrtime is CLOCK_MONOTONIC, the workload's clock
    const restoreStart = process.hrtime.bigint();
    restored.push(await restoreOrThrow(images));
    const check = await selfCheck(t, 60_000);
    expect(check).toMatchObject({ absolute: '1', kept: '1', period: '1', spent: '1', wallclock: '1', fired: '1' });
    // the expirations read after restore include every one counted at dump
    expect(Number(check.held)).toBeGreaterThanOrEqual(periodic.ticks);
    // the absolute timer fires when it would have: never before its expiry, and no sooner after the
    // restore than the time it had left at dump (the time between dump and restore does not count)
    expect(BigInt(check.fired_at)).toBeGreaterThanOrEqual(BigInt(check.expiry));
    expect(BigInt(check.fired_at)).toBeGreaterThanOrEqual(restoreStart + left(absolute));
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
