import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImagesDir, type MessageValue } from '@criu-ts/images';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dump, restore } from '../src/index.js';
import { cleanup, compile, parseFields, removeBuildDir, removeDir, sleep, startDetached, waitForFile, type Target } from './helpers.js';

/**
 * A three-level tree whose tasks run as different users with different capabilities, scheduling,
 * limits, queued signals and timers (see workloads/task-state.c) is dumped, killed and restored; each
 * task then compares its state with what it was and reports, and the test checks the report.
 */

const ROLES = ['root', 'child', 'grandchild'] as const;
type Role = (typeof ROLES)[number];
/** The POSIX timer each task arms to fire 6 s after its setup (well after the dump), then every 250 ms. */
const MAIN_TIMER = 3;

let bin: string;
const dirs: string[] = [];

beforeAll(() => {
  bin = compile('task-state');
});
afterEach(async () => {
  delete process.env.CRIU_TS_TIMER_IDS;
  expect(await cleanup()).toEqual([]);
});
afterAll(() => {
  for (const dir of dirs) removeDir(dir);
  removeBuildDir();
});

interface Ready {
  readonly pid: number;
  readonly ppid: number;
  readonly timer: number;
}

/** Starts the tree and returns each task's ready line (its pid, parent and main timer id). */
async function startTree(): Promise<{ t: Target; ready: Record<Role, Ready> }> {
  const t = await startDetached(bin);
  expect(t.info.error, 'the workload could not set itself up').toBeUndefined();
  const ready = {} as Record<Role, Ready>;
  for (const role of ROLES) {
    const f = parseFields(await waitForFile(join(t.dir, `ready-${role}`), 5000));
    ready[role] = { pid: Number(f.pid), ppid: Number(f.ppid), timer: Number(f.timer) };
  }
  return { t, ready };
}

async function dumpTree(pid: number): Promise<string> {
  const images = mkdtempSync(join(tmpdir(), 'task-state-images-'));
  dirs.push(images);
  const result = await dump({ pid, imagesDir: images })();
  if (result._tag === 'Left') throw new Error(`dump failed: ${result.left.message}`);
  return images;
}

async function gone(pids: readonly number[], timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some((pid) => existsSync(`/proc/${pid}`))) {
    if (Date.now() > deadline) return false;
    await sleep(10);
  }
  return true;
}

function core(images: string, pid: number): MessageValue {
  const dir = ImagesDir.open(images);
  if (dir._tag === 'Left') throw new Error(dir.left.message);
  const image = dir.right.read(`core-${pid}.img`);
  if (image._tag === 'Left') throw new Error(image.left.message);
  return image.right.entries[0].message;
}

function posixTimers(images: string, pid: number): MessageValue[] {
  return (((core(images, pid).tc as MessageValue).timers as MessageValue).posix ?? []) as MessageValue[];
}

/** Restores, asks every task to check itself, and returns the reports with the restore's time window. */
async function restoreAndCheck(t: Target, images: string) {
  const restoreStart = Date.now();
  const result = await restore({ imagesDir: images })();
  const restoreEnd = Date.now();
  if (result._tag === 'Left') throw new Error(`restore failed: ${result.left.message}`);
  expect(result.right.rootPid).toBe(t.pid);
  writeFileSync(join(t.dir, 'check'), '');
  const reports = {} as Record<Role, Record<string, string>>;
  for (const role of ROLES) reports[role] = parseFields(await waitForFile(join(t.dir, `result-${role}`), 30_000));
  return { reports, restoreStart, restoreEnd };
}

/** Every check the task made passed; the failure message shows the whole report. */
function expectAllOk(role: Role, report: Record<string, string>): void {
  const failed = Object.entries(report).filter(([name, value]) => name.endsWith('_ok') && value !== '1').map(([name]) => name);
  expect(failed, `${role}: ${JSON.stringify(report)}`).toEqual([]);
  expect(report.status, `${role}: ${JSON.stringify(report)}`).toBe('OK');
}

/**
 * The main timer's first expiry after the restore came when the time it had left at the dump had
 * run out, counted from the moment it was armed again (somewhere within the restore).
 */
function expectFiredOnTime(role: Role, report: Record<string, string>, images: string, pid: number, window: { restoreStart: number; restoreEnd: number }): void {
  const timer = posixTimers(images, pid).find((p) => Number(p.it_id) === MAIN_TIMER)!;
  const leftMs = Number(timer.vsec) * 1000 + Number(timer.vnsec) / 1e6;
  expect(leftMs, `${role}: the timer had ${leftMs} ms left at the dump`).toBeGreaterThan(0);
  const firstMs = Number(BigInt(report.timer_first_ns) / 1_000_000n);
  expect(firstMs, `${role}: first expiry vs restore start + time left`).toBeGreaterThanOrEqual(window.restoreStart + leftMs - 5);
  expect(firstMs, `${role}: first expiry vs restore end + time left`).toBeLessThanOrEqual(window.restoreEnd + leftMs + 1000);
}

describe('task state across dump, kill and restore', () => {
  it('a root -> child -> grandchild tree keeps ids, groups, capabilities, securebits, scheduling, affinity, limits, subreaper, membarrier, signals and timers', async () => {
    const { t, ready } = await startTree();
    const pids = ROLES.map((role) => ready[role].pid);
    const images = await dumpTree(t.pid);
    expect(await gone(pids)).toBe(true);

    // what the images say, in CRIU's fields (and ours for affinity and timer slack)
    expect(posixTimers(images, ready.root.pid).map((p) => Number(p.it_id))).toEqual([1, 3, 4]);
    const threadTimer = posixTimers(images, ready.root.pid).find((p) => Number(p.it_id) === 4)!;
    expect(Number(threadTimer.it_sigev_notify)).toBe(4); // SIGEV_THREAD_ID
    expect(Number(threadTimer.notify_thread_id)).not.toBe(ready.root.pid);
    const childThread = core(images, ready.child.pid).thread_core as MessageValue;
    expect((childThread.creds as MessageValue).euid).toBe(65534);
    expect(childThread.timer_slack_ns).toBe(200000n);
    expect(childThread.cpu_affinity).toBeDefined();

    const { reports, ...window } = await restoreAndCheck(t, images);
    for (const role of ROLES) expectAllOk(role, reports[role]);
    const { root, child, grandchild } = reports;

    // the state compared is the one the workload set up, not a default that happens to match
    expect(root).toMatchObject({ Uid: '0 0 0 0', Groups: '4 24', CapInh: '0000000000000401', CapAmb: '0000000000000400', secbits: '0x53' });
    expect(root).toMatchObject({ nice: '3', policy: '0x2/5', affinity: '0', oom_score_adj: '100', dumpable: '1', NoNewPrivs: '0' });
    expect(root).toMatchObject({ subreaper: '1', membarrier: '0x10' }); // MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED
    expect(child).toMatchObject({ subreaper: '0', membarrier: '0' });
    expect(BigInt(`0x${root.CapBnd}`) & ((1n << 16n) | (1n << 22n) | (1n << 27n))).toBe(0n); // CAP_SYS_MODULE, CAP_SYS_BOOT, CAP_MKNOD
    expect(BigInt(`0x${root.CapEff}`) & ((1n << 5n) | (1n << 21n))).toBe(0n); // CAP_KILL, CAP_SYS_ADMIN
    expect(Number(root.thread_hits)).toBeGreaterThan(2);

    expect(child).toMatchObject({ Uid: '65534 65534 65534 65534', Gid: '65534 65534 65534 65534', Groups: '100 65534' });
    expect(child).toMatchObject({ CapPrm: '0000000000000400', CapEff: '0000000000000400', CapAmb: '0000000000000400', secbits: '0x10' });
    expect(child).toMatchObject({ nice: '7', policy: '0x3/0', oom_score_adj: '300', timerslack: '200000', thp_disable: '1', dumpable: '1', NoNewPrivs: '1' });
    expect(child.rlimits).toBe('nofile 101/1001 core 0/8192');

    expect(grandchild).toMatchObject({ Uid: '65534 65534 65534 65534', Gid: '65534 65533 65532 65533', Groups: '', CapPrm: '0000000000000000' });
    expect(grandchild).toMatchObject({ nice: '10', policy: '0x40000000/0', affinity: '0', oom_score_adj: '500', timerslack: '1000000' });
    expect(grandchild).toMatchObject({ personality: '0x40000', loginuid: '1234', dumpable: '0', NoNewPrivs: '1' });

    for (const role of ROLES) {
      expect(reports[role].pid).toBe(String(ready[role].pid));
      expect(Number(reports[role].timer_id), `${role}: the id the timer's signals carry`).toBe(ready[role].timer);
      expectFiredOnTime(role, reports[role], images, ready[role].pid, window);
    }
  });

  it('without PR_TIMER_CREATE_RESTORE_IDS (kernels before 6.17) timers are created in order until the ids match', async () => {
    const { t, ready } = await startTree();
    const images = await dumpTree(t.pid);
    expect(await gone(ROLES.map((role) => ready[role].pid))).toBe(true);

    process.env.CRIU_TS_TIMER_IDS = 'in-order';
    const { reports, ...window } = await restoreAndCheck(t, images);
    for (const role of ROLES) {
      expectAllOk(role, reports[role]);
      expect(Number(reports[role].timer_id)).toBe(ready[role].timer);
      expectFiredOnTime(role, reports[role], images, ready[role].pid, window);
    }
  });
});
