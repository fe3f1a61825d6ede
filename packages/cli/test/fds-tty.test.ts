import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImagesDir } from '@criu-ts/images';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dump, restore } from '../src/index.js';
import { cleanup, parseFields, removeDir, selfCheck, sleep, startDetached, type Target, waitForFile } from './helpers.js';

/** A program holding a pty pair (its controlling terminal), dumped and restored: see workloads/fds/pty.c. */

const workloads = fileURLToPath(new URL('./workloads/fds/', import.meta.url));
const dirs: string[] = [];
const restored: number[] = [];
const held: number[] = [];
let pty: string;
let shellJob: string;
/** The sessions of the terminals (script(1)) the shell-job test starts. */
const terminals: number[] = [];
const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

beforeAll(() => {
  pty = join(tempDir('fds-tty-bin-'), 'pty');
  execFileSync('gcc', ['-O1', '-Wall', '-Wno-unused-result', '-o', pty, join(workloads, 'pty.c')]);
  shellJob = join(dirname(pty), 'shell-job');
  execFileSync('gcc', ['-O1', '-Wall', '-Wno-unused-result', '-o', shellJob, join(workloads, 'shell-job.c')]);
});
afterEach(async () => {
  for (const pid of restored.splice(0)) kill(pid);
  for (const fd of held.splice(0)) closeSync(fd);
  for (const sid of terminals.splice(0)) killSession(sid);
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

/** Runs `command` (with sh) on a terminal of its own, script(1)'s, outside our tree; what the terminal shows goes to `typescript`. */
function onTerminal(command: string, typescript: string): void {
  const run = spawnSync('sh', ['-c', 'setsid script -qfec "$0" "$1" </dev/null >/dev/null 2>&1 & echo $!', command, typescript], { encoding: 'utf8' });
  const pid = Number(run.stdout.trim());
  if (!(pid > 0)) throw new Error(`cannot start script: ${run.stderr}`);
  terminals.push(pid);
}

/** Kills every process of session `sid` and of the sessions its terminal's shell started. */
function killSession(sid: number): void {
  const ps = spawnSync('ps', ['-eo', 'pid=,ppid=,sid='], { encoding: 'utf8' }).stdout;
  const rows = ps.trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
  const sessions = new Set([sid, ...rows.filter((r) => r[1] === sid).map((r) => r[2])]);
  for (const [pid, , s] of rows) if (sessions.has(s)) kill(pid);
}

/** Holds a pty of our own with number `index`, so a restore cannot get that number back. */
function occupy(index: number): void {
  const extra: number[] = [];
  for (let i = 0; i <= index + 1; i++) {
    const fd = openSync('/dev/ptmx', constants.O_RDWR | constants.O_NOCTTY);
    const got = Number(/^tty-index:\s*(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1]);
    if (got === index) {
      held.push(fd);
      break;
    }
    extra.push(fd);
  }
  for (const fd of extra) closeSync(fd);
  expect(held).toHaveLength(1);
}

/** The parent's and the child's verdicts. */
async function check(t: Target): Promise<{ parent: Record<string, string>; child: Record<string, string> }> {
  const parent = await selfCheck(t);
  const child = parseFields(await waitForFile(join(t.dir, 'child-result'), 10_000));
  return { parent, child };
}

function read(images: string, name: string) {
  const dir = ImagesDir.open(images);
  if (dir._tag === 'Left') throw new Error(dir.left.message);
  const image = dir.right.read(name);
  if (image._tag === 'Left') throw new Error(image.left.message);
  return image.right.entries.map((e) => e.message);
}

describe('ptys', () => {
  it('a pty pair keeps its queued bytes both ways, raw termios, window size, packet mode, lock, controlling terminal and foreground group', async () => {
    const t = await startDetached(pty);
    const index = Number(t.info.index);
    const images = tempDir('fds-tty-images-');
    const dumped = await dump({ pid: t.pid, imagesDir: images })();
    if (dumped._tag === 'Left') throw new Error(`dump failed: ${dumped.left.message}`);
    expect(await gone(t.pid)).toBe(true);
    expect(await gone(Number(t.info.child))).toBe(true);

    // CRIU's numbering: the slave's tty_info is index * 2, the master's index * 2 + 1
    const infos = read(images, 'tty-info.img');
    expect(infos.map((i) => Number(i.id)).sort()).toEqual([index * 2, index * 2 + 1]);
    const master = infos.find((i) => Number(i.id) === index * 2 + 1)!;
    expect(master).toMatchObject({ type: 1, locked: true, packet_mode: true, sid: t.pid, pgrp: Number(t.info.child), pty: { index } });
    expect(master.winsize).toEqual({ ws_row: 33, ws_col: 111, ws_xpixel: 7, ws_ypixel: 9 });
    const data = read(images, 'tty-data.img').map((d) => [Number(d.tty_id), Buffer.from(d.data as Uint8Array).toString()]);
    expect(data.sort()).toEqual([[index * 2, 'to-slave'], [index * 2 + 1, 'to-master']]);

    // the dumped number is taken: the restored pty gets another one, and the program must not mind
    occupy(index);
    const result = await restore({ imagesDir: images })();
    if (result._tag === 'Left') throw new Error(`restore failed: ${result.left.message}`);
    restored.push(t.pid, Number(t.info.child));

    const { parent, child } = await check(t);
    expect(parent.index).not.toBe(String(index));
    expect(parent).toMatchObject({ pair: '1', termios: '1', winsize: '1', packet: '1', locked: '1', ctty: '1', foreground: '1', master: '1' });
    expect(parent.status, JSON.stringify(parent)).toBe('OK');
    expect(child.status, JSON.stringify(child)).toBe('OK');
  });

  it('with --leave-running the pty keeps the bytes the dump read from it', async () => {
    const t = await startDetached(pty);
    const dumped = await dump({ pid: t.pid, imagesDir: tempDir('fds-tty-images-'), leaveRunning: true })();
    if (dumped._tag === 'Left') throw new Error(`dump failed: ${dumped.left.message}`);
    const { parent, child } = await check(t);
    expect(parent.status, JSON.stringify(parent)).toBe('OK');
    expect(child.status, JSON.stringify(child)).toBe('OK');
  });
});

describe('--shell-job', () => {
  it('a job run from a terminal outside the tree is restored onto the terminal of the restore, in its session and foreground', async () => {
    const dir = tempDir('fds-shell-job-run-');
    // `; true` keeps sh from replacing itself with the job: the session leader stays outside the tree
    onTerminal(`${shellJob} ${dir}; true`, join(dir, 'before'));
    const info = parseFields(await waitForFile(join(dir, 'info'), 10_000));
    const pid = Number(info.pid);
    restored.push(pid);
    expect(info.tty).toMatch(/^\/dev\/pts\/\d+$/);

    const images = tempDir('fds-shell-job-images-');
    const refused = await dump({ pid, imagesDir: images })();
    expect(refused._tag === 'Left' && refused.left.message).toContain('dump with --shell-job');
    const dumped = await dump({ pid, imagesDir: images, files: { shellJob: true } })();
    if (dumped._tag === 'Left') throw new Error(`dump failed: ${dumped.left.message}`);
    expect(await gone(pid)).toBe(true);

    // restored by the command line from another terminal, which the job gets
    const after = join(dir, 'after');
    const terminal = join(dir, 'terminal');
    onTerminal(`printf "tty=%s\\nsid=%s\\n" $(tty) $$ > ${terminal}; node ${bin} restore -j -d -D ${images} -o ${join(dir, 'restore.log')}; echo restore-exit=$?; sleep 60`, after);
    // checked once the command line has returned (-d): its exit must leave the job's settings alone
    // (the command itself is shown first: "restore-exit=$?")
    const shows = (text: RegExp) => existsSync(after) && text.test(readFileSync(after, 'utf8'));
    const deadline = Date.now() + 30_000;
    while (!shows(/^restore-exit=\d/m) && Date.now() < deadline) await sleep(20);
    expect(readFileSync(after, 'utf8')).toMatch(/^restore-exit=0/m);
    const restoring = parseFields(readFileSync(terminal, 'utf8'));
    const check = await selfCheck({ dir, pid, info });
    // the restore's terminal and session, whatever the numbers
    expect(check.tty).toBe(restoring.tty);
    expect(check.sid).toBe(restoring.sid);
    expect(check.sid).not.toBe(info.sid);
    expect(check).toMatchObject({ terminal: '1', ctty: '1', foreground: '1', echo_off: '1', winsize: '1', written: '1' });
    expect(check.status, JSON.stringify(check)).toBe('OK');
    while (!shows(/^restored-output/m) && Date.now() < deadline) await sleep(20);
    const shown = readFileSync(after, 'utf8');
    expect(shown).toContain('restored-output');
  });
});
