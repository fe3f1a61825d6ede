import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { dump, restore } from '../src/index.js';
import { cleanup, compile, removeBuildDir, removeDir, selfCheck, sleep, startDetached } from './helpers.js';

/** Zombies keep their exit status for their parent to collect; a stopped task stays stopped. */

const dirs: string[] = [];

afterEach(async () => {
  expect(await cleanup()).toEqual([]);
});
afterAll(() => {
  for (const dir of dirs) removeDir(dir);
  removeBuildDir();
});

function state(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2];
  } catch {
    return undefined;
  }
}

describe('zombies and stopped tasks', () => {
  it('come back as zombies with their statuses and as stopped tasks, each stopped by its own signal, that can be continued', async () => {
    const t = await startDetached(compile('zombies-stopped'));
    const [exited, signaled, stopped, tstp] = [Number(t.info.exited), Number(t.info.signaled), Number(t.info.stopped), Number(t.info.tstp)];
    expect([state(exited), state(signaled), state(stopped), state(tstp)]).toEqual(['Z', 'Z', 'T', 'T']);
    const images = mkdtempSync(join(tmpdir(), 'zombies-'));
    dirs.push(images);
    const dumped = await dump({ pid: t.pid, imagesDir: images })();
    if (dumped._tag === 'Left') throw new Error(`dump failed: ${dumped.left.message}`);
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && [t.pid, exited, signaled, stopped, tstp].some((p) => existsSync(`/proc/${p}`))) await sleep(10);

    const restored = await restore({ imagesDir: images })();
    if (restored._tag === 'Left') throw new Error(`restore failed: ${restored.left.message}`);
    expect(restored.right.tasks).toBe(6);
    expect([state(exited), state(signaled), state(stopped), state(tstp)]).toEqual(['Z', 'Z', 'T', 'T']);
    expect(await selfCheck(t)).toMatchObject({ status: 'OK', exited: '1', signaled: '1', stopped: '1' });
  });
});
