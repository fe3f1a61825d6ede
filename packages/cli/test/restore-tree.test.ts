import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dump, restore } from '../src/index.js';
import { parseFields, removeDir, sleep, waitForFile } from './helpers.js';

/**
 * A whole tree dumped, killed and restored: three levels, two sessions, three process groups (one
 * joined by a task older than its leader), four threads per task, private memory in each and one
 * MAP_SHARED anonymous region shared by all (workloads/tree.c). The tree checks itself afterwards;
 * the test checks the ids from /proc and that Debian's crit decodes every image.
 */

const ROLES = ['root', 'a', 'a1', 'b', 'd', 'c'] as const;
const dirs: string[] = [];
let bin: string;
let pids: number[] = [];

interface TaskInfo {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  tids: number[];
}

beforeAll(() => {
  const build = mkdtempSync('/tmp/tree-bin-');
  dirs.push(build);
  bin = join(build, 'tree');
  execFileSync('gcc', ['-O2', '-Wall', '-Wno-unused-result', '-pthread', '-o', bin, fileURLToPath(new URL('./workloads/tree.c', import.meta.url))]);
});
afterEach(async () => {
  for (const pid of pids) kill(pid);
  for (const pid of pids) expect(await gone(pid)).toBe(true);
  pids = [];
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

async function gone(pid: number, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (existsSync(`/proc/${pid}`)) {
    if (Date.now() > deadline) return false;
    await sleep(10);
  }
  return true;
}

function tempDir(kind: string): string {
  const dir = mkdtempSync(`/tmp/tree-${kind}-`);
  dirs.push(dir);
  return dir;
}

/** Starts the tree outside our process tree and waits until every task is set up. */
async function startTree(sharedMib: number, privateMib: number): Promise<{ dir: string; tasks: Record<string, TaskInfo> }> {
  const dir = tempDir('run');
  const r = spawnSync('setsid', ['-f', bin, dir, String(sharedMib), String(privateMib)], { stdio: 'ignore' });
  expect(r.status).toBe(0);
  const fields = parseFields(await waitForFile(join(dir, 'info'), 60_000));
  const tasks: Record<string, TaskInfo> = {};
  for (const role of ROLES) {
    const [pid, ppid, pgid, sid, tids] = fields[role].split(' ');
    tasks[role] = { pid: Number(pid), ppid: Number(ppid), pgid: Number(pgid), sid: Number(sid), tids: tids.split(',').map(Number) };
    pids.push(Number(pid));
  }
  return { dir, tasks };
}

/** ppid, pgid and sid as /proc/PID/stat shows them, and the task's threads. */
function fromProc(pid: number): TaskInfo {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const tids = readdirSync(`/proc/${pid}/task`).map(Number).sort((x, y) => x - y);
  return { pid, ppid: Number(f[1]), pgid: Number(f[2]), sid: Number(f[3]), tids };
}

function tracerOf(pid: number): number {
  return Number(/^TracerPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
}

/** The device and inode behind a task's shared mapping (the region the root maps first). */
function sharedObject(pid: number): string {
  const line = readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n').find((l) => / rw-s /.test(l));
  if (!line) return 'none';
  const st = statSync(`/proc/${pid}/map_files/${line.split(' ')[0]}`, { bigint: true });
  return `${st.dev}:${st.ino}:${readlinkSync(`/proc/${pid}/map_files/${line.split(' ')[0]}`)}`;
}

/**
 * `crit decode` of every image but the raw pages: crit's own decode (pycriu.cli.decode, what
 * /usr/bin/crit runs), for all images in one interpreter rather than one process per image.
 */
function critDecodesAll(images: string): string[] {
  const names = readdirSync(images).filter((n) => !/^pages-\d+\.img$/.test(n) && (n.endsWith('.img') || n === 'stats-dump'));
  expect(names.length).toBeGreaterThan(0);
  const script = [
    'import sys',
    'from pycriu import cli',
    'for path in sys.argv[1:]:',
    '    try:',
    "        cli.decode({'in': path, 'out': '/dev/null', 'pretty': True, 'nopl': False})",
    '    except BaseException as e:',
    "        print('%s: %r' % (path, e))",
  ].join('\n');
  const out = execFileSync(critPython(), ['-c', script, ...names.map((n) => join(images, n))], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.trim() !== '');
}

/** The interpreter /usr/bin/crit runs with (its #! line): the one that has pycriu. */
function critPython(): string {
  const crit = execFileSync('sh', ['-c', 'command -v crit'], { encoding: 'utf8' }).trim();
  return readFileSync(crit, 'utf8').split('\n')[0].slice(2).trim().split(' ')[0];
}

async function dumpKillRestore(sharedMib: number, privateMib: number) {
  const { dir, tasks } = await startTree(sharedMib, privateMib);
  for (const role of ROLES) {
    const t = tasks[role];
    expect(fromProc(t.pid), role).toEqual({ ...t, tids: [...t.tids].sort((x, y) => x - y) });
  }
  const before = sharedObject(tasks.root.pid);
  for (const role of ROLES) expect(sharedObject(tasks[role].pid), role).toBe(before);

  const images = tempDir('images');
  const t0 = performance.now();
  const dumped = await dump({ pid: tasks.root.pid, imagesDir: images })();
  const dumpMs = performance.now() - t0;
  if (dumped._tag === 'Left') throw new Error(`dump failed: ${dumped.left.message}`);
  expect(dumped.right).toMatchObject({ tasks: 6, threads: 24 });
  for (const role of ROLES) expect(await gone(tasks[role].pid), role).toBe(true);

  // CRIU's form: one memfd inode and one pagemap-shmem for the region, however many tasks map it
  const memfd = JSON.parse(execFileSync('crit', ['decode', '-i', join(images, 'memfd.img')], { encoding: 'utf8' }));
  expect(memfd.entries).toHaveLength(1);
  expect(memfd.entries[0]).toMatchObject({ name: '/dev/zero', size: (sharedMib << 20) + 4096 });
  expect(existsSync(join(images, `pagemap-shmem-${memfd.entries[0].shmid}.img`))).toBe(true);
  const failed = critDecodesAll(images);
  expect(failed).toEqual([]);

  const t1 = performance.now();
  const restored = await restore({ imagesDir: images })();
  const restoreMs = performance.now() - t1;
  if (restored._tag === 'Left') throw new Error(`restore failed: ${restored.left.message}`);
  expect(restored.right).toMatchObject({ rootPid: tasks.root.pid, tasks: 6, threads: 24 });

  for (const role of ROLES) {
    const t = tasks[role];
    expect(fromProc(t.pid), role).toEqual({ ...t, tids: [...t.tids].sort((x, y) => x - y) });
    for (const tid of t.tids) expect(tracerOf(tid), `${role} ${tid}`).toBe(0);
  }
  // one object again, mapped by all
  const after = sharedObject(tasks.root.pid);
  expect(after).toMatch(/memfd/);
  for (const role of ROLES) expect(sharedObject(tasks[role].pid), role).toBe(after);

  writeFileSync(join(dir, 'check'), '');
  const result = parseFields(await waitForFile(join(dir, 'result'), 30_000));
  for (const role of ROLES) expect(result[role], role).toMatch(new RegExp(`^${tasks[role].pid} ok=1 `));
  expect(result.status).toBe('OK');
  return { dumpMs, restoreMs, pagesWritten: dumped.right.images.length };
}

describe('a process tree', () => {
  it('keeps its PIDs, TIDs, sessions, groups, threads, private and shared memory across dump, kill and restore', async () => {
    await dumpKillRestore(16, 8);
  });

  it('does so with 544 MiB of memory (256 MiB shared, 48 MiB private per task)', async () => {
    const { dumpMs, restoreMs } = await dumpKillRestore(256, 48);
    // a budget, not a benchmark: the whole test must stay well under a minute on a shared 2-core machine
    expect(dumpMs + restoreMs).toBeLessThan(30_000);
  });
});
