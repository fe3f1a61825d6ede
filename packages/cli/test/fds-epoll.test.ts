import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, selfCheck, startDetached } from './helpers.js';
import { compileFds, critDecodesAll, dumpError, dumpOrThrow, expectOk, gone, imagesDir, removeFdsDirs, restoreOrThrow } from './fds-workloads.js';

/** epoll instances keep every registration (fd number, event mask, data) across dump, kill and restore (workloads/fds/epoll.c). */

let bin: string;
const restored: number[] = [];
beforeAll(() => {
  bin = compileFds('epoll');
});
afterEach(async () => {
  for (const pid of restored.splice(0)) kill(pid);
  expect(await cleanup()).toEqual([]);
});
afterAll(() => removeFdsDirs());

interface TfdEntry {
  tfd: number;
  events: number;
  data: number;
}

describe('epoll', () => {
  it('epolls over pipes, an eventfd, a timerfd, a signalfd and another epoll, shared with a child, report exactly the same events after restore, under the same fd numbers', async () => {
    const t = await startDetached(bin);
    const images = imagesDir();
    await dumpOrThrow(t.pid, images);
    expect(await gone(t.pid)).toBe(true);
    expect(await gone(Number(t.info.child))).toBe(true);

    // crit (upstream CRIU's decoder) reads every image, and files.img holds what fdinfo showed
    expect(critDecodesAll(images)).toEqual([]);
    const text = execFileSync('crit', ['decode', '-i', join(images, 'files.img')], { encoding: 'utf8' });
    const files = JSON.parse(text) as { entries: { type: string; epfd?: { tfd?: TfdEntry[] } }[] };
    const epolls = files.entries.filter((e) => e.type === 'EVENTPOLL').map((e) => e.epfd!.tfd ?? []);
    expect(epolls).toHaveLength(4);
    const ep1 = epolls.find((tfds) => tfds.length === 4)!;
    const byFd = new Map(ep1.map((e) => [e.tfd, e]));
    expect(byFd.get(Number(t.info.pipeA))).toMatchObject({ events: 0x19, data: 0xa11ce });
    expect(byFd.get(Number(t.info.pipeB))).toMatchObject({ events: 0x19, data: 0xb0b });
    expect(byFd.get(Number(t.info.ep2))).toMatchObject({ events: 0x19, data: 0xe2 });
    // EPOLLET kept; JSON.parse would round the 64-bit data word, so it is looked for in crit's text
    expect(text).toMatch(new RegExp(`"tfd": 40,\\s*"events": ${0x80000019},\\s*"data": ${0xe7e7e7e7e7e7e7e7n}\\b`));
    // the one-shot that had fired is recorded disarmed: EPOLLONESHOT and no event bits
    expect(epolls).toContainEqual([expect.objectContaining({ tfd: Number(t.info.pipeC), events: 0x40000000, data: 0xc })]);
    // EPOLLEXCLUSIVE kept
    expect(epolls).toContainEqual([expect.objectContaining({ tfd: Number(t.info.pipeA), events: 0x10000019, data: 3 })]);

    restored.push(await restoreOrThrow(images));
    const check = await selfCheck(t);
    expect(check).toMatchObject({ setup: '1', fdinfo: '1', first: '1', edge: '1', del: '1', pipeB: '1', nested: '1', oneshot: '1', timerSignal: '1', flags: '1' });
    expectOk(check);
  });

  it('epoll targets whose fds were closed (one number taken since by another file) come back under the fd that still holds their file', async () => {
    const t = await startDetached(bin, ['closed']);
    const images = imagesDir();
    await dumpOrThrow(t.pid, images);
    const files = JSON.parse(execFileSync('crit', ['decode', '-i', join(images, 'files.img')], { encoding: 'utf8' })) as { entries: { type: string; epfd?: { tfd?: TfdEntry[] } }[] };
    const tfds = files.entries.find((e) => e.type === 'EVENTPOLL')!.epfd!.tfd!;
    expect(tfds.map((e) => [e.tfd, e.data]).sort()).toEqual([
      [Number(t.info.keepP), 7],
      [Number(t.info.keepQ), 8],
    ]);
    restored.push(await restoreOrThrow(images));
    const check = await selfCheck(t);
    expect(check).toMatchObject({ reused: '1', quiet: '1', pipes: '1' });
    expectOk(check);
  });

  it('an epoll target whose file the task holds under no fd any more (a child has it) is refused at dump, naming task and fds', async () => {
    const t = await startDetached(bin, ['escaped']);
    const message = await dumpError(t.pid, imagesDir());
    expect(message).toContain(`task ${t.pid} epoll fd ${t.info.ep} watches fd ${t.info.closed}`);
    expect(message).toContain('has closed that fd and holds the registered file under no other fd');
    // a refused dump leaves the program running as it was
    expectOk(await selfCheck(t));
  });
});

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}
