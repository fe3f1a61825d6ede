import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { dump, restore } from '../src/index.js';
import { removeDir, sleep } from './helpers.js';

/**
 * Real programs, checkpointed in the middle of their work, killed, restored, and left to finish:
 * what they write at the end must be what an uninterrupted run of the same program writes.
 */

const real = fileURLToPath(new URL('./workloads/real/', import.meta.url));
const dirs: string[] = [];
const sessions: number[] = [];

afterEach(async () => {
  for (const sid of sessions.splice(0)) {
    try {
      process.kill(-sid, 'SIGKILL');
    } catch {}
  }
});
afterAll(() => {
  for (const dir of dirs) removeDir(dir);
});

function runDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

async function waitFor(what: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!what() && Date.now() < deadline) await sleep(20);
}

/** Starts `argv` as the leader of a session of its own, outside our process tree; its pid from `dir/info`. */
async function startProgram(argv: string[], dir: string): Promise<number> {
  const started = spawnSync('setsid', ['-f', ...argv, dir], { stdio: 'ignore' });
  expect(started.status).toBe(0);
  await waitFor(() => /pid=\d+/.test(readOr(join(dir, 'info'), '')), 10_000);
  const pid = Number(/pid=(\d+)/.exec(readOr(join(dir, 'info'), ''))?.[1]);
  sessions.push(pid);
  return pid;
}

/** Runs the program through to its end, untouched: the reference result. */
async function uninterrupted(argv: string[], dir: string, resultFiles: string[]): Promise<string[]> {
  await startProgram(argv, dir);
  await waitFor(() => resultFiles.every((f) => existsSync(join(dir, f))), 60_000);
  return resultFiles.map((f) => readOr(join(dir, f), `${f} missing`));
}

/** Starts the program, dumps it once it is `progressAt` steps in, restores it and lets it finish. */
async function checkpointed(argv: string[], dir: string, resultFiles: string[], progressAt: number): Promise<{ atDump: number; results: string[] }> {
  const pid = await startProgram(argv, dir);
  await waitFor(() => Number(readOr(join(dir, 'progress'), '0')) >= progressAt, 20_000);
  const images = runDir('real-images-');
  const dumped = await dump({ pid, imagesDir: images })();
  if (dumped._tag === 'Left') throw new Error(`dump failed: ${dumped.left.message}`);
  const atDump = Number(readOr(join(dir, 'progress'), '0'));
  await waitFor(() => !existsSync(`/proc/${pid}`), 5000);
  expect(resultFiles.some((f) => existsSync(join(dir, f)))).toBe(false);

  const restored = await restore({ imagesDir: images })();
  if (restored._tag === 'Left') throw new Error(`restore failed: ${restored.left.message}`);
  expect(restored.right.rootPid).toBe(pid);
  await waitFor(() => resultFiles.every((f) => existsSync(join(dir, f))), 60_000);
  return { atDump, results: resultFiles.map((f) => readOr(join(dir, f), `${f} missing`)) };
}

describe('real servers answer on their ports after a restore', () => {
  it('python3 http.server: the same page from the same port, before the dump and after the restore', async () => {
    const dir = runDir('real-http-');
    const page = `page ${randomBytes(8).toString('hex')}\n`;
    writeFileSync(join(dir, 'page.txt'), page);
    const pid = await startProgram(['python3', join(real, 'http-server.py')], dir);
    const port = Number(/port=(\d+)/.exec(readOr(join(dir, 'info'), ''))?.[1]);
    const get = async () => (await fetch(`http://127.0.0.1:${port}/page.txt`, { signal: AbortSignal.timeout(5000) })).text();
    expect(await get()).toBe(page);

    const images = runDir('real-images-');
    const dumped = await dump({ pid, imagesDir: images })();
    if (dumped._tag === 'Left') throw new Error(`dump failed: ${dumped.left.message}`);
    await waitFor(() => !existsSync(`/proc/${pid}`), 5000);
    await expect(get()).rejects.toThrow();

    const restored = await restore({ imagesDir: images })();
    if (restored._tag === 'Left') throw new Error(`restore failed: ${restored.left.message}`);
    expect(restored.right.rootPid).toBe(pid);
    expect(await get()).toBe(page);
  });
});

describe('real programs restored mid-way finish as if never stopped', () => {
  it('python3: a parent streaming a file through a pipe to its child, logging to an open file', async () => {
    const input = randomBytes(150_000);
    const [plain, stopped] = [runDir('real-python-a-'), runDir('real-python-b-')];
    for (const dir of [plain, stopped]) {
      writeFileSync(join(dir, 'input'), input);
      copyFileSync(join(real, 'pipeline.py'), join(dir, 'pipeline.py'));
    }
    const files = ['result', 'child-result'];
    const reference = await uninterrupted(['python3', join(plain, 'pipeline.py')], plain, files);
    expect(reference[0]).toMatch(/^sha=[0-9a-f]{64}\nsteps=150\n/);

    const { atDump, results } = await checkpointed(['python3', join(stopped, 'pipeline.py')], stopped, files, 40);
    expect(atDump).toBeLessThan(150);
    expect(results).toEqual(reference);
  });

  it('node: an event loop with timers, thread-pool fs calls in flight and promises (epoll, eventfds, 11 threads)', async () => {
    const [plain, stopped] = [runDir('real-node-a-'), runDir('real-node-b-')];
    const program = [process.execPath, join(real, 'event-loop.cjs')];
    const reference = await uninterrupted(program, plain, ['result']);
    expect(reference[0]).toMatch(/^sha=[0-9a-f]{64}\nticks=300\nlog=\d+\n$/);

    const { atDump, results } = await checkpointed(program, stopped, ['result'], 100);
    expect(atDump).toBeLessThan(300);
    expect(results).toEqual(reference);
  });
});
