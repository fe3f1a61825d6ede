import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, truncateSync, statSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dump, restore } from '../src/index.js';
import { cleanup, compile, removeBuildDir, removeDir, selfCheck, sleep, startDetached, type Target } from './helpers.js';

/** Every test dumps a real program, restores it, and asks the program itself whether its state survived. */

let stateCheck: string;
const dirs: string[] = [];
const restored: number[] = [];

function imagesDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'restore-images-'));
  dirs.push(dir);
  return dir;
}

beforeAll(() => {
  stateCheck = compile('state-check');
});
afterEach(async () => {
  for (const pid of restored.splice(0)) kill(pid);
  expect(await cleanup()).toEqual([]);
});
afterAll(() => {
  for (const dir of dirs) removeDir(dir);
  removeBuildDir();
});

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

async function gone(pid: number, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (existsSync(`/proc/${pid}`)) {
    if (Date.now() > deadline) return false;
    await sleep(10);
  }
  return true;
}

async function dumpOrFail(t: Target, images: string, leaveRunning = false): Promise<void> {
  const result = await dump({ pid: t.pid, imagesDir: images, leaveRunning })();
  if (result._tag === 'Left') throw new Error(`dump failed: ${result.left.message}`);
}

/** How many donor processes (head -c 1) exist: a failed restore must leave none behind. */
function donors(): number {
  const ps = spawnSync('ps', ['-eo', 'args='], { encoding: 'utf8' }).stdout;
  return ps.split('\n').filter((line) => line.trim() === 'head -c 1').length;
}

/** The program's own verdict, with every field it checked in the failure message. */
function expectOk(check: Record<string, string>): void {
  expect(check.status, JSON.stringify(check)).toBe('OK');
}

function tracerOf(pid: number): number {
  return Number(/^TracerPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
}

describe('dump, kill, restore', () => {
  it('a program keeps its PID, threads, memory, file offset, pipe bytes, eventfd, handlers, itimer, rlimits and queued signals', async () => {
    const t = await startDetached(stateCheck);
    const images = imagesDir();
    await dumpOrFail(t, images);
    expect(await gone(t.pid)).toBe(true);

    const result = await restore({ imagesDir: images })();
    if (result._tag === 'Left') throw new Error(`restore failed: ${result.left.message}`);
    restored.push(t.pid);
    expect(result.right.rootPid).toBe(t.pid);
    expect(result.right.threads).toBe(4);
    expect(tracerOf(t.pid)).toBe(0);

    const check = await selfCheck(t);
    expect(check).toMatchObject({
      heap: '1', mapped: '1', file: '1', pipe: '1', threads: '1', handler: '1', timer: '1', rlimit: '1', signals: '1', pdeath: '1', eventfd: '1', pid: String(t.pid),
    });
    expectOk(check);
  });

  it('with --leave-running the original runs on unharmed, and the images restore once it has gone', async () => {
    const t = await startDetached(stateCheck);
    const images = imagesDir();
    await dumpOrFail(t, images, true);
    expect(tracerOf(t.pid)).toBe(0);
    expectOk(await selfCheck(t));

    kill(t.pid);
    expect(await gone(t.pid)).toBe(true);
    const result = await restore({ imagesDir: images })();
    if (result._tag === 'Left') throw new Error(`restore failed: ${result.left.message}`);
    restored.push(t.pid);
    // the images were taken before the original's check: the restored program checks everything again
    expectOk(await selfCheck(t));
  });

  it('a PID still in use is refused by name, and nothing is left behind', async () => {
    const t = await startDetached(stateCheck);
    const images = imagesDir();
    await dumpOrFail(t, images, true);
    const before = donors();
    const result = await restore({ imagesDir: images })();
    expect(result._tag).toBe('Left');
    if (result._tag === 'Left') expect(result.left.message).toContain(`PID ${t.pid} is in use`);
    expect(donors()).toBe(before);
    expectOk(await selfCheck(t));
  });

  it('corrupt or truncated images are refused before any process is created', async () => {
    const t = await startDetached(stateCheck);
    const images = imagesDir();
    await dumpOrFail(t, images);
    expect(await gone(t.pid)).toBe(true);
    const before = donors();

    const core = join(images, `core-${t.pid}.img`);
    truncateSync(core, statSync(core).size - 7);
    const truncated = await restore({ imagesDir: images })();
    expect(truncated._tag).toBe('Left');
    if (truncated._tag === 'Left') expect(truncated.left.message).toMatch(new RegExp(`core-${t.pid}\\.img: entry 0 at offset \\d+`));
    expect(existsSync(`/proc/${t.pid}`)).toBe(false);

    rmSync(join(images, 'pstree.img'));
    const missing = await restore({ imagesDir: images })();
    expect(missing._tag === 'Left' && missing.left.message).toContain('pstree.img is missing');
    expect(donors()).toBe(before);
  });

  it('a restore that fails half-way kills what it created and says why', async () => {
    const t = await startDetached(stateCheck);
    const images = imagesDir();
    await dumpOrFail(t, images);
    expect(await gone(t.pid)).toBe(true);
    // the program's open file is gone: the task exists by the time its fds are restored
    rmSync(join(t.dir, 'file.txt'));
    const before = donors();
    const result = await restore({ imagesDir: images })();
    expect(result._tag).toBe('Left');
    if (result._tag === 'Left') expect(result.left.message).toContain(`cannot reopen ${join(t.dir, 'file.txt')}`);
    expect(await gone(t.pid)).toBe(true);
    expect(donors()).toBe(before);
    writeFileSync(join(t.dir, 'unused'), '');
  });
});

describe('real programs', () => {
  it('a python3 computation restored mid-way finishes with the result of an uninterrupted run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'restore-python-'));
    dirs.push(dir);
    const script = join(dir, 'compute.py');
    writeFileSync(
      script,
      [
        'import os, sys, time',
        'out = sys.argv[1]',
        "open(out + '/info', 'w').write('pid=%d\\n' % os.getpid())",
        'total = 0',
        'for i in range(1, 61):',
        '    total = (total * 31 + i * i) % 1000000007',
        "    open(out + '/progress', 'w').write(str(i))",
        '    time.sleep(0.05)',
        "open(out + '/result', 'w').write('total=%d\\n' % total)",
      ].join('\n'),
    );
    let expected = 0;
    for (let i = 1; i <= 60; i++) expected = (expected * 31 + i * i) % 1000000007;

    const started = spawnSync('setsid', ['-f', 'python3', script, dir], { stdio: 'ignore' });
    expect(started.status).toBe(0);
    const deadline = Date.now() + 10_000;
    while (Number(readOr(join(dir, 'progress'), '0')) < 15 && Date.now() < deadline) await sleep(20);
    const pid = Number(/pid=(\d+)/.exec(readOr(join(dir, 'info'), ''))?.[1]);
    const images = imagesDir();
    const dumped = await dump({ pid, imagesDir: images })();
    if (dumped._tag === 'Left') throw new Error(`dump failed: ${dumped.left.message}`);
    const atDump = Number(readOr(join(dir, 'progress'), '0'));
    expect(atDump).toBeLessThan(60);
    expect(await gone(pid)).toBe(true);

    const result = await restore({ imagesDir: images })();
    if (result._tag === 'Left') throw new Error(`restore failed: ${result.left.message}`);
    restored.push(pid);
    const until = Date.now() + 20_000;
    while (!existsSync(join(dir, 'result')) && Date.now() < until) await sleep(50);
    expect(readOr(join(dir, 'result'), '')).toBe(`total=${expected}\n`);
  });
});

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}
