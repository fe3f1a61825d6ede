import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdtempSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImagesDir } from '@criu-ts/images';
import { addressOf, hostArch, kbuf, sys } from '@criu-ts/ptrace';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dump, restore } from '../src/index.js';
import { parseFields, removeDir, selfCheck, sleep, waitForFile } from './helpers.js';

/**
 * --inherit-fd: a program whose standard output is a pipe read outside its tree gets, on restore,
 * a pipe the restorer hands in (see workloads/fds/pipe-writer.c).
 */

const workloads = fileURLToPath(new URL('./workloads/fds/', import.meta.url));
const dirs: string[] = [];
const pids: number[] = [];
const ours: number[] = [];
let writer: string;
const nr = hostArch().syscalls;
const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;
const F_SETFL = 4;
const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const TIOCSPTLCK = 0x40045431;

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

beforeAll(() => {
  writer = join(tempDir('fds-inherit-bin-'), 'pipe-writer');
  execFileSync('gcc', ['-O1', '-Wall', '-o', writer, join(workloads, 'pipe-writer.c')]);
});
afterEach(async () => {
  for (const pid of pids.splice(0)) kill(pid);
  for (const fd of ours.splice(0)) sys(nr.close, fd);
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

/** A pipe of ours: [read end (non-blocking), write end]. */
function pipe(): [number, number] {
  const fds = kbuf(8);
  if (sys(nr.pipe2, addressOf(fds), O_CLOEXEC) < 0) throw new Error('pipe2 failed');
  const ends: [number, number] = [fds.readInt32LE(0), fds.readInt32LE(4)];
  sys(nr.fcntl, ends[0], F_SETFL, O_NONBLOCK);
  ours.push(...ends);
  return ends;
}

/** A pty of ours: [master (non-blocking), slave, slave's path]. */
function pty(): [number, number, string] {
  const master = openSync('/dev/ptmx', constants.O_RDWR | constants.O_NOCTTY);
  const unlock = kbuf(4);
  if (sys(nr.ioctl, master, TIOCSPTLCK, addressOf(unlock)) < 0) throw new Error('cannot unlock our pty');
  const index = Number(/^tty-index:\s*(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${master}`, 'utf8'))?.[1]);
  const path = `/dev/pts/${index}`;
  const slave = openSync(path, constants.O_RDWR | constants.O_NOCTTY);
  sys(nr.fcntl, master, F_SETFL, O_NONBLOCK);
  ours.push(master, slave);
  return [master, slave, path];
}

/** Starts pipe-writer with `stdout` as its standard output, outside our tree; its info fields. */
async function startWriter(dir: string, stdout: number): Promise<Record<string, string>> {
  const started = spawnSync('setsid', ['-f', writer, dir], { stdio: ['ignore', stdout, 'ignore'] });
  expect(started.status).toBe(0);
  const info = parseFields(await waitForFile(join(dir, 'info'), 10_000));
  pids.push(Number(info.pid));
  return info;
}

function files(images: string) {
  const dir = ImagesDir.open(images);
  if (dir._tag === 'Left') throw new Error(dir.left.message);
  const image = dir.right.read('files.img');
  if (image._tag === 'Left') throw new Error(image.left.message);
  return image.right.entries.map((e) => e.message);
}

/** What the pipe holds now. */
function drain(fd: number): string {
  const buf = kbuf(4096);
  const n = sys(nr.read, fd, addressOf(buf), 4096);
  return n > 0 ? buf.subarray(0, n).toString() : '';
}

/** Waits until `fd` yields some bytes. */
async function readSome(fd: number): Promise<string> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const text = drain(fd);
    if (text || Date.now() > deadline) return text;
    await sleep(10);
  }
}

describe('--inherit-fd', () => {
  it('a pipe to the outside and a log file are replaced by the ones the restorer hands in', async () => {
    const dir = tempDir('fds-inherit-run-');
    const [outsideRead, outsideWrite] = pipe();
    // the program's standard output is the write end of our pipe; it is started outside our tree
    const started = spawnSync('setsid', ['-f', writer, dir], { stdio: ['ignore', outsideWrite, 'ignore'] });
    expect(started.status).toBe(0);
    const info = parseFields(await waitForFile(join(dir, 'info'), 10_000));
    const pid = Number(info.pid);
    pids.push(pid);
    expect(await readSome(outsideRead)).toBe('before-dump\n');
    expect(info.pipe).toMatch(/^pipe:\[\d+\]$/);

    const images = tempDir('fds-inherit-images-');
    const dumped = await dump({ pid, imagesDir: images })();
    if (dumped._tag === 'Left') throw new Error(`dump failed: ${dumped.left.message}`);
    expect(await gone(pid)).toBe(true);

    // a new pipe stands in for the old one, another file for the log (named as CRIU names it: no leading slash)
    const [newRead, newWrite] = pipe();
    const otherLog = openSync(join(dir, 'other-log'), 'a');
    const inheritFds = new Map([
      [info.pipe, newWrite],
      [join(dir, 'log').slice(1), otherLog],
    ]);
    const result = await restore({ imagesDir: images, files: { inheritFds } })();
    closeSync(otherLog);
    if (result._tag === 'Left') throw new Error(`restore failed: ${result.left.message}`);

    expect((await selfCheck({ dir, pid, info })).status).toBe('OK');
    expect(await readSome(newRead)).toBe('after-restore\n');
    expect(drain(outsideRead)).toBe('');
    expect(readFileSync(join(dir, 'log'), 'utf8')).toBe('log-before\n');
    expect(readFileSync(join(dir, 'other-log'), 'utf8')).toBe('log-after\n');
  });

  it('without --inherit-fd the pipe is restored without its outside reader: the program dies of SIGPIPE writing to it', async () => {
    const dir = tempDir('fds-inherit-run-');
    const [outsideRead, outsideWrite] = pipe();
    const started = spawnSync('setsid', ['-f', writer, dir], { stdio: ['ignore', outsideWrite, 'ignore'] });
    expect(started.status).toBe(0);
    const info = parseFields(await waitForFile(join(dir, 'info'), 10_000));
    const pid = Number(info.pid);
    pids.push(pid);
    expect(await readSome(outsideRead)).toBe('before-dump\n');
    const images = tempDir('fds-inherit-images-');
    const dumped = await dump({ pid, imagesDir: images })();
    if (dumped._tag === 'Left') throw new Error(`dump failed: ${dumped.left.message}`);
    expect(await gone(pid)).toBe(true);
    const result = await restore({ imagesDir: images })();
    if (result._tag === 'Left') throw new Error(`restore failed: ${result.left.message}`);
    writeFileSync(join(dir, 'check'), '');
    expect(await gone(pid)).toBe(true);
    expect(existsSync(join(dir, 'result'))).toBe(false);
    expect(drain(outsideRead)).toBe('');
  });
});

describe('--external', () => {
  it('a file marked external at dump is handed back by --inherit-fd fd[N]:file[MNT_ID:INODE], and refused without it', async () => {
    const dir = tempDir('fds-external-run-');
    const [outsideRead, outsideWrite] = pipe();
    const info = await startWriter(dir, outsideWrite);
    const pid = Number(info.pid);
    expect(await readSome(outsideRead)).toBe('before-dump\n');
    // CRIU's key: the fd's mnt_id and the file's inode, in hex
    const mntId = Number(/^mnt_id:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/fdinfo/${info.log}`, 'utf8'))?.[1]);
    const key = `file[${mntId.toString(16)}:${statSync(join(dir, 'log')).ino.toString(16)}]`;

    const images = tempDir('fds-external-images-');
    const dumped = await dump({ pid, imagesDir: images, files: { external: [key] } })();
    if (dumped._tag === 'Left') throw new Error(`dump failed: ${dumped.left.message}`);
    expect(await gone(pid)).toBe(true);
    expect(files(images).map((f) => f.reg).filter((r) => (r as { ext?: boolean } | undefined)?.ext)).toEqual([expect.objectContaining({ name: key, ext: true })]);

    const refused = await restore({ imagesDir: images, files: { inheritFds: new Map([[info.pipe, outsideWrite]]) } })();
    expect(refused._tag === 'Left' && refused.left.message).toContain(`restore with --inherit-fd fd[N]:${key}`);
    // the task made so far is killed
    expect(await gone(pid)).toBe(true);

    const otherLog = openSync(join(dir, 'other-log'), 'a');
    const inheritFds = new Map([
      [info.pipe, outsideWrite],
      [key, otherLog],
    ]);
    const result = await restore({ imagesDir: images, files: { inheritFds } })();
    closeSync(otherLog);
    if (result._tag === 'Left') throw new Error(`restore failed: ${result.left.message}`);
    expect((await selfCheck({ dir, pid, info })).status).toBe('OK');
    expect(await readSome(outsideRead)).toBe('after-restore\n');
    expect(readFileSync(join(dir, 'log'), 'utf8')).toBe('log-before\n');
    expect(readFileSync(join(dir, 'other-log'), 'utf8')).toBe('log-after\n');
  });

  it('a terminal marked external at dump is handed back by --inherit-fd fd[N]:tty[RDEV:DEV]', async () => {
    const dir = tempDir('fds-external-run-');
    const [master, slave, path] = pty();
    const info = await startWriter(dir, slave);
    const pid = Number(info.pid);
    expect(await readSome(master)).toBe('before-dump\r\n');
    const images = tempDir('fds-external-images-');
    const refused = await dump({ pid, imagesDir: images })();
    expect(refused._tag === 'Left' && refused.left.message).toContain(`fd 1 is ${path}, whose master is not in the dumped tree`);

    const st = statSync(path, { bigint: true });
    const key = `tty[${st.rdev.toString(16)}:${st.dev.toString(16)}]`;
    const dumped = await dump({ pid, imagesDir: images, files: { external: [key] } })();
    if (dumped._tag === 'Left') throw new Error(`dump failed: ${dumped.left.message}`);
    expect(await gone(pid)).toBe(true);

    // another terminal of ours stands in for it
    const [newMaster, newSlave] = pty();
    const result = await restore({ imagesDir: images, files: { inheritFds: new Map([[key, newSlave]]) } })();
    if (result._tag === 'Left') throw new Error(`restore failed: ${result.left.message}`);
    expect((await selfCheck({ dir, pid, info })).status).toBe('OK');
    expect(await readSome(newMaster)).toBe('after-restore\r\n');
    expect(drain(master)).toBe('');
  });
});

describe('the command line', () => {
  it('dump --external file[..] and restore --inherit-fd fd[3]:pipe:[..] --inherit-fd fd[4]:file[..] with fds 3 and 4 handed to criu-ts', async () => {
    const dir = tempDir('fds-cli-run-');
    const [outsideRead, outsideWrite] = pipe();
    const info = await startWriter(dir, outsideWrite);
    const pid = Number(info.pid);
    expect(await readSome(outsideRead)).toBe('before-dump\n');
    const mntId = Number(/^mnt_id:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/fdinfo/${info.log}`, 'utf8'))?.[1]);
    const key = `file[${mntId.toString(16)}:${statSync(join(dir, 'log')).ino.toString(16)}]`;
    const images = tempDir('fds-cli-images-');

    const dumped = spawnSync('node', [bin, 'dump', '-t', String(pid), '-D', images, '--external', key], { encoding: 'utf8' });
    expect(dumped.status, dumped.stderr).toBe(0);
    expect(await gone(pid)).toBe(true);

    const [newRead, newWrite] = pipe();
    const otherLog = openSync(join(dir, 'other-log'), 'a');
    const args = [bin, 'restore', '-d', '-D', images, '--inherit-fd', `fd[3]:${info.pipe}`, `--inherit-fd=fd[4]:${key}`];
    const restored = spawnSync('node', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', newWrite, otherLog] });
    closeSync(otherLog);
    expect(restored.status, restored.stderr).toBe(0);

    expect((await selfCheck({ dir, pid, info })).status).toBe('OK');
    expect(await readSome(newRead)).toBe('after-restore\n');
    expect(readFileSync(join(dir, 'other-log'), 'utf8')).toBe('log-after\n');
  });
});
