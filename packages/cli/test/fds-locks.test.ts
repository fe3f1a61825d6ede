import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImagesDir } from '@criu-ts/images';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dump, restore } from '../src/index.js';
import { cleanup, parseFields, removeDir, selfCheck, sleep, startDetached, type Target } from './helpers.js';

/** A task holding an flock, a POSIX lock and an OFD lock, dumped with --file-locks and restored. */

const workloads = fileURLToPath(new URL('./workloads/fds/', import.meta.url));
const dirs: string[] = [];
const restored: number[] = [];
let locks: string;

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

beforeAll(() => {
  locks = join(tempDir('fds-locks-bin-'), 'locks');
  execFileSync('gcc', ['-O1', '-Wall', '-o', locks, join(workloads, 'locks.c')]);
});
afterEach(async () => {
  for (const pid of restored.splice(0)) kill(pid);
  expect(await cleanup()).toEqual([]);
});
afterAll(() => {
  for (const dir of dirs) removeDir(dir);
});

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

async function gone(pid: number): Promise<boolean> {
  const deadline = Date.now() + 5000;
  while (existsSync(`/proc/${pid}`)) {
    if (Date.now() > deadline) return false;
    await sleep(10);
  }
  return true;
}

/** What another process, started now, finds when it tries each lock without blocking. */
function probe(t: Target): Record<string, string> {
  const run = spawnSync(locks, [t.dir, 'probe'], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`probe failed: ${run.stderr}`);
  return parseFields(run.stdout);
}

/** The /proc/locks lines of task `pid`, as "FAMILY TYPE". */
function procLocks(pid: number): string[] {
  return readFileSync('/proc/locks', 'utf8')
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f[4] === String(pid))
    .map((f) => `${f[1]} ${f[3]}`)
    .sort();
}

const HELD = { flock: 'busy', ofd: 'busy' };

describe('file locks', () => {
  it('a task holding a lock is refused without --file-locks, and runs on', async () => {
    const t = await startDetached(locks);
    const result = await dump({ pid: t.pid, imagesDir: tempDir('fds-locks-images-') })();
    expect(result._tag).toBe('Left');
    if (result._tag === 'Left') {
      expect(result.left.message).toContain(`task ${t.pid} holds file locks`);
      expect(result.left.message).toContain('--file-locks');
    }
    expect(probe(t)).toMatchObject({ ...HELD, posix: `busy:${t.pid}:10-29` });
    expect((await selfCheck(t)).status).toBe('OK');
  });

  it('flock, POSIX and OFD locks are held again by the restored task, which can release them', async () => {
    const t = await startDetached(locks);
    expect(probe(t)).toMatchObject({ ...HELD, posix: `busy:${t.pid}:10-29` });
    const images = tempDir('fds-locks-images-');
    const dumped = await dump({ pid: t.pid, imagesDir: images, files: { fileLocks: true } })();
    if (dumped._tag === 'Left') throw new Error(`dump failed: ${dumped.left.message}`);
    expect(await gone(t.pid)).toBe(true);
    expect(probe(t)).toEqual({ flock: 'free', posix: 'free', ofd: 'free' });

    // the entries CRIU writes: FL_FLOCK 2, FL_POSIX 1, FL_OFD 4; F_WRLCK 1; len 0 means up to EOF
    const dir = ImagesDir.open(images);
    if (dir._tag === 'Left') throw new Error(dir.left.message);
    const image = dir.right.read('filelocks.img');
    if (image._tag === 'Left') throw new Error(image.left.message);
    const entries = image.right.entries.map((e) => e.message);
    const fd = (name: string) => Number(t.info[name]);
    expect(entries).toEqual(
      expect.arrayContaining([
        { flag: 2, type: 1, pid: t.pid, fd: fd('flock'), start: 0n, len: 0n },
        { flag: 1, type: 1, pid: t.pid, fd: fd('posix'), start: 10n, len: 20n },
        { flag: 4, type: 1, pid: t.pid, fd: fd('ofd'), start: 0n, len: 0n },
      ]),
    );
    expect(entries).toHaveLength(3);

    const result = await restore({ imagesDir: images, files: { fileLocks: true } })();
    if (result._tag === 'Left') throw new Error(`restore failed: ${result.left.message}`);
    restored.push(t.pid);
    expect(probe(t)).toEqual({ ...HELD, posix: `busy:${t.pid}:10-29` });
    // taken by the task itself, as the original took them: /proc/locks names it
    expect(procLocks(t.pid)).toEqual(['FLOCK WRITE', 'POSIX WRITE']);

    const check = await selfCheck(t);
    expect(check).toMatchObject({ unlock_flock: '1', unlock_posix: '1', unlock_ofd: '1', status: 'OK' });
    expect(probe(t)).toEqual({ flock: 'free', posix: 'free', ofd: 'free' });
  });

  it('images holding locks are refused by a restore without --file-locks, before anything is created', async () => {
    const t = await startDetached(locks);
    const images = tempDir('fds-locks-images-');
    const dumped = await dump({ pid: t.pid, imagesDir: images, files: { fileLocks: true } })();
    if (dumped._tag === 'Left') throw new Error(`dump failed: ${dumped.left.message}`);
    expect(await gone(t.pid)).toBe(true);
    const result = await restore({ imagesDir: images })();
    expect(result._tag).toBe('Left');
    if (result._tag === 'Left') expect(result.left.message).toContain('restore with --file-locks');
    expect(existsSync(`/proc/${t.pid}`)).toBe(false);
  });
});
