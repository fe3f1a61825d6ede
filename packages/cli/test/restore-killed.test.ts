import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanup, compile, removeBuildDir, removeDir, selfCheck, sleep, startDetached } from './helpers.js';

/**
 * `kill -9` of criu-ts in the middle of a restore must leave nothing half-built running: every task
 * it creates is traced with PTRACE_O_EXITKILL until it is let go, so the kernel kills it with us.
 * The restore is killed after a spread of delays; after each, either the PIDs of the images are free
 * again (no task, no donor left) or, if the kill came after the tree was let go, the program is
 * whole; and a last, uninterrupted restore brings the program back whole.
 */

const binJs = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const dirs: string[] = [];

afterEach(async () => {
  expect(await cleanup()).toEqual([]);
});
afterAll(() => {
  for (const dir of dirs) removeDir(dir);
  removeBuildDir();
});

function tracerOf(pid: number): number {
  try {
    return Number(/^TracerPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  } catch {
    return 0;
  }
}

function alive(pid: number): boolean {
  if (!existsSync(`/proc/${pid}`)) return false;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat[stat.lastIndexOf(')') + 2] !== 'Z';
}

/**
 * Killed but not gone yet: SIGKILL pending, or already exiting (PF_EXITING in the stat flags). A
 * large task can take a while to die on a busy machine, untraced and not yet a zombie.
 */
function dying(pid: number): boolean {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const masks = [...status.matchAll(/^(?:SigPnd|ShdPnd):\s+([0-9a-f]+)$/gm)].map((m) => BigInt(`0x${m[1]}`));
    const pending = masks.some((mask) => (mask & SIGKILL_BIT) !== 0n);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const flags = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[6]);
    return pending || (flags & PF_EXITING) !== 0;
  } catch {
    return false;
  }
}

const SIGKILL_BIT = 1n << 8n;
const PF_EXITING = 0x4;

/** Donors are `head -c 1` processes in sessions of their own; none may outlive a restore. */
function donors(): string[] {
  return spawnSync('pgrep', ['-x', '-f', 'head -c 1'], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
}

async function restoreKilledAfter(images: string, delayMs: number): Promise<number> {
  const child = spawn(process.execPath, [binJs, 'restore', '-D', images, '-d'], { stdio: 'ignore' });
  let finished = false;
  const exited = new Promise<void>((resolve) => child.on('exit', () => ((finished = true), resolve())));
  const began = performance.now();
  await Promise.race([sleep(delayMs), exited]);
  if (!finished) child.kill('SIGKILL');
  await exited;
  return performance.now() - began;
}

describe('criu-ts killed with SIGKILL during a restore', () => {
  it('leaves no half-built task alive, wherever the kill lands, and the images still restore', async () => {
    const t = await startDetached(compile('state-check'));
    const images = mkdtempSync('/tmp/restore-killed-');
    dirs.push(images);
    const dump = spawnSync(process.execPath, [binJs, 'dump', '-t', String(t.pid), '-D', images], { encoding: 'utf8' });
    expect(dump.status, dump.stderr).toBe(0);
    const donorsBefore = donors();

    // how long a whole restore takes, then the restored program is killed again
    const total = await restoreKilledAfter(images, 60_000);
    expect(alive(t.pid)).toBe(true);
    process.kill(t.pid, 'SIGKILL');
    for (const delay of Array.from({ length: 10 }, (_, i) => Math.round((i * total) / 10))) {
      const deadline = Date.now() + 5000;
      while (existsSync(`/proc/${t.pid}`) && Date.now() < deadline) await sleep(10);
      expect(existsSync(`/proc/${t.pid}`), `PID ${t.pid} still taken before the kill at ${delay} ms`).toBe(false);
      await restoreKilledAfter(images, delay);
      // until it is either gone or let go: untraced, and not dying of the kill
      const settle = Date.now() + 10_000;
      while (alive(t.pid) && (tracerOf(t.pid) !== 0 || dying(t.pid)) && Date.now() < settle) await sleep(10);
      const at = `a kill ${delay} ms into a ${Math.round(total)} ms restore`;
      if (alive(t.pid)) {
        // the kill came after the tree was let go: then it must be whole
        expect(tracerOf(t.pid), `still traced after ${at}`).toBe(0);
        expect((await selfCheck(t)).status, `self-check after ${at}`).toBe('OK');
        // the next restore brings back a program still waiting to be asked
        unlinkSync(join(t.dir, 'check'));
        process.kill(t.pid, 'SIGKILL');
      }
      expect(donors().filter((d) => !donorsBefore.includes(d)), `a donor left after ${at}`).toEqual([]);
    }

    const deadline = Date.now() + 5000;
    while (existsSync(`/proc/${t.pid}`) && Date.now() < deadline) await sleep(10);
    await restoreKilledAfter(images, 60_000);
    expect(alive(t.pid)).toBe(true);
    expect((await selfCheck(t)).status).toBe('OK');
  });
});
