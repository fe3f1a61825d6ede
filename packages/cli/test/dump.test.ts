import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImagesDir, PAGE_SIZE } from '@criu-ts/images';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DUMP_STEPS, dumpTree } from '../src/dump.js';
import { cleanup, compile, removeBuildDir, removeDir, selfCheck, sleep, startDetached, type Target } from './helpers.js';

let bin: string;
const dirs: string[] = [];
const imagesDir = (name: string) => {
  const d = join(tmpdir(), `dump-images-${process.pid}-${name}-${Date.now()}`);
  dirs.push(d);
  return d;
};

beforeAll(() => {
  bin = compile('dumpee');
});
afterEach(async () => {
  expect(await cleanup()).toEqual([]);
});
afterAll(() => {
  for (const d of dirs) removeDir(d);
  removeBuildDir();
});

function images(dir: string): ImagesDir {
  const d = ImagesDir.open(dir);
  if (E.isLeft(d)) throw new Error(d.left.message);
  return d.right;
}

function read(dir: ImagesDir, name: string) {
  const r = dir.read(name);
  if (E.isLeft(r)) throw new Error(r.left.message);
  return r.right.entries.map((e) => ({ ...e.message, payload: e.payload }) as Record<string, any>);
}

function tracerOf(pid: number, tid = pid): number {
  return Number(/^TracerPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))?.[1] ?? -1);
}

/** The state letter of /proc/PID/stat ('R', 'S', 'Z'...). */
function taskState(pid: number): string {
  return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1][0];
}

const pattern = (i: number) => ((i * 7 + 13) ^ (i >> 12)) & 0xff;

/** The bytes at [addr, addr+len) as the dump saved them, from the pagemap and pages images. */
function savedBytes(dir: ImagesDir, pid: number, addr: bigint, len: number): Uint8Array {
  const pm = dir.pagemap(`pagemap-${pid}.img`);
  if (E.isLeft(pm)) throw new Error(pm.left.message);
  const out = new Uint8Array(len);
  const end = addr + BigInt(len);
  let covered = 0;
  for (const r of pm.right.ranges) {
    const rEnd = r.vaddr + BigInt(r.nrPages * PAGE_SIZE);
    if (rEnd <= addr || r.vaddr >= end) continue;
    const bytes = dir.readPages(pm.right.pagesFile, r);
    if (E.isLeft(bytes)) throw new Error(bytes.left.message);
    const from = addr > r.vaddr ? addr : r.vaddr;
    const to = end < rEnd ? end : rEnd;
    out.set(bytes.right.subarray(Number(from - r.vaddr), Number(to - r.vaddr)), Number(from - addr));
    covered += Number(to - from);
  }
  expect(covered).toBe(len);
  return out;
}

describe('dumpTree', () => {
  it('writes CRIU images of a live program (memory pattern, heap, file offset, pipe data, 2 threads) and lets it run on', async () => {
    const t = await startDetached(bin);
    const dir = imagesDir('run');
    const logs: string[] = [];
    const r = dumpTree({ pid: t.pid, imagesDir: dir, leaveRunning: true, log: (l, m) => logs.push(`${l} ${m}`) });
    if (E.isLeft(r)) throw new Error(`${r.left.step}: ${r.left.message}\n${logs.join('\n')}`);
    expect(r.right.tasks).toBe(1);
    expect(r.right.threads).toBe(2);

    // Debian's crit (upstream CRIU's own decoder) reads every image we wrote.
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.img') && !n.startsWith('pages-'))) {
      execFileSync('crit', ['decode', '-i', join(dir, f), '-o', '/dev/null']);
    }
    execFileSync('crit', ['decode', '-i', join(dir, 'stats-dump'), '-o', '/dev/null']);

    const img = images(dir);
    const [pstree] = read(img, 'pstree.img');
    expect(pstree.pid).toBe(t.pid);
    expect(pstree.threads).toHaveLength(2);
    const tids: number[] = pstree.threads;
    for (const tid of tids) expect(existsSync(join(dir, `core-${tid}.img`))).toBe(true);

    // Every thread's ip is inside an executable mapping of the task.
    const [mm] = read(img, `mm-${t.pid}.img`);
    for (const tid of tids) {
      const [core] = read(img, `core-${tid}.img`);
      const ip: bigint = core.thread_info.gpregs.ip;
      const vma = mm.vmas.find((v: any) => v.start <= ip && ip < v.end);
      expect(vma, `ip 0x${ip.toString(16)} of ${tid}`).toBeDefined();
      expect(vma.prot & 4).toBe(4);
      expect(core.thread_core.creds).toBeDefined();
    }
    const [leader] = read(img, `core-${t.pid}.img`);
    expect(leader.tc.sigactions).toHaveLength(62);
    expect(leader.tc.rlimits.rlimits).toHaveLength(16);
    expect(leader.tc.comm).toBe('dumpee');

    // Memory: the 3 MiB mmap'd buffer and the malloc'd heap buffer hold the program's pattern.
    const big = savedBytes(img, t.pid, BigInt(t.info.big), 3 << 20);
    for (let i = 0; i < big.length; i += 4093) expect(big[i], `big[${i}]`).toBe(pattern(i));
    const small = savedBytes(img, t.pid, BigInt(t.info.small), 40000);
    for (let i = 0; i < small.length; i += 97) expect(small[i], `small[${i}]`).toBe(pattern(i + 99));
    // The heap VMA is marked as such, and the vvar/vdso as CRIU marks them.
    const VMA_AREA_HEAP = 1 << 5;
    const VMA_AREA_VDSO = 1 << 3;
    const VMA_AREA_VVAR = 1 << 12;
    expect(mm.vmas.some((v: any) => v.status & VMA_AREA_HEAP && v.start <= BigInt(t.info.small) && BigInt(t.info.small) < v.end)).toBe(true);
    expect(mm.vmas.filter((v: any) => v.status & VMA_AREA_VDSO)).toHaveLength(1);
    expect(mm.vmas.filter((v: any) => v.status & VMA_AREA_VVAR)).toHaveLength(1);

    // stats-dump counts exactly the pages written.
    const [stats] = read(img, 'stats-dump');
    expect(Number(stats.dump.pages_written) * PAGE_SIZE).toBe(statSync(join(dir, 'pages-1.img')).size);

    // Files: the regular file at offset 5, the pipe with its unread bytes.
    const files = read(img, 'files.img');
    const fdinfo = read(img, 'fdinfo-2.img');
    const byFd = (fd: number): Record<string, any> => files.find((f) => f.id === fdinfo.find((i) => i.fd === fd)?.id) ?? {};
    const reg = byFd(Number(t.info.fd));
    expect(reg.reg.name).toBe(join(t.dir, 'data.txt'));
    expect(reg.reg.pos).toBe(5n);
    expect(reg.reg.size).toBe(20n);
    const pr = byFd(Number(t.info.pipe_r));
    const pw = byFd(Number(t.info.pipe_w));
    expect(pr.pipe.pipe_id).toBe(pw.pipe.pipe_id);
    expect(pw.pipe.flags & 3).toBe(1);
    const [data] = read(img, 'pipes-data.img');
    expect(data.pipe_id).toBe(pr.pipe.pipe_id);
    expect(Buffer.from(data.payload).toString()).toBe('pipe-bytes-xyz');
    const [fs] = read(img, `fs-${t.pid}.img`);
    expect(files.find((f) => f.id === fs.root_id)?.reg.name).toBe('/');
    expect(files.find((f) => f.id === mm.exe_file_id)?.reg.name).toBe(bin);

    // The program runs on untouched: no tracer, its self-check passes (memory, offset, pipe, thread).
    expect(tracerOf(t.pid)).toBe(0);
    expect(readFileSync(`/proc/${t.pid}/maps`, 'utf8')).not.toContain('/dev/zero (deleted)');
    expect((await selfCheck(t)).ok).toBe('1');
  });

  it('kills the tree by default, leaving no zombie behind', async () => {
    const t = await startDetached(bin);
    const r = dumpTree({ pid: t.pid, imagesDir: imagesDir('kill') });
    expect(E.isRight(r)).toBe(true);
    const deadline = Date.now() + 3000;
    while (existsSync(`/proc/${t.pid}`) && Date.now() < deadline) await sleep(20);
    expect(existsSync(`/proc/${t.pid}`)).toBe(false);
  });

  it('leaves the tree stopped with leaveStopped', async () => {
    const t = await startDetached(bin);
    const r = dumpTree({ pid: t.pid, imagesDir: imagesDir('stop'), leaveStopped: true });
    expect(E.isRight(r)).toBe(true);
    await sleep(100);
    const state = readFileSync(`/proc/${t.pid}/stat`, 'utf8').split(') ')[1][0];
    expect(state).toBe('T');
    expect(tracerOf(t.pid)).toBe(0);
    process.kill(t.pid, 'SIGCONT');
    expect((await selfCheck(t)).ok).toBe('1');
  });

  it('refuses an fd it cannot dump yet, naming the pid, fd and kind, and the program runs on', async () => {
    const t: Target = await startDetached(bin, ['socket']);
    const r = dumpTree({ pid: t.pid, imagesDir: imagesDir('refuse'), leaveRunning: true });
    expect(E.isLeft(r)).toBe(true);
    if (E.isLeft(r)) {
      expect(r.left.pid).toBe(t.pid);
      // the files half's own refusal, not an internal error
      expect(r.left.step).toBe('fds');
      expect(r.left.message).toContain(`fd ${t.info.sock}`);
      expect(r.left.message).toContain('socket:[');
    }
    expect(tracerOf(t.pid)).toBe(0);
    expect((await selfCheck(t)).ok).toBe('1');
  });

  it('refuses processes that share one fd table (CLONE_FILES), naming both, and the program runs on', async () => {
    const t: Target = await startDetached(bin, ['shared-files']);
    const r = dumpTree({ pid: t.pid, imagesDir: imagesDir('shared-files'), leaveRunning: true });
    expect(E.isLeft(r)).toBe(true);
    if (E.isLeft(r)) expect(r.left.message).toContain(`tasks ${[t.pid, Number(t.info.sharer)].sort((a, b) => a - b).join(' and ')} share one fd table (CLONE_FILES)`);
    expect(tracerOf(t.pid)).toBe(0);
    expect((await selfCheck(t)).ok).toBe('1');
  });

  it('refuses a task whose main thread has exited while another runs on, saying so, and the task runs on', async () => {
    const t: Target = await startDetached(bin, ['dead-leader']);
    const deadline = Date.now() + 5000;
    while (taskState(t.pid) !== 'Z' && Date.now() < deadline) await sleep(10);
    const r = dumpTree({ pid: t.pid, imagesDir: imagesDir('dead-leader'), leaveRunning: true });
    expect(E.isLeft(r)).toBe(true);
    if (E.isLeft(r)) expect(r.left.message).toContain(`the main thread of task ${t.pid} has exited while 1 other threads run on`);
    // the counting thread is still there, untraced
    const threads = readdirSync(`/proc/${t.pid}/task`);
    expect(threads).toHaveLength(2);
    for (const tid of threads) expect(tracerOf(t.pid, Number(tid))).toBe(0);
  });

  it('refuses a task another tracer holds, naming both, and leaves it to that tracer', async () => {
    const t = await startDetached(bin);
    const other = spawn(compile('other-tracer'), [String(t.pid)], { stdio: 'ignore' });
    try {
      const deadline = Date.now() + 5000;
      while (tracerOf(t.pid) !== other.pid && Date.now() < deadline) await sleep(10);
      expect(tracerOf(t.pid)).toBe(other.pid);
      const r = dumpTree({ pid: t.pid, imagesDir: imagesDir('traced'), leaveRunning: true });
      expect(E.isLeft(r)).toBe(true);
      if (E.isLeft(r)) expect(r.left.message).toContain(`already traced by ${other.pid}`);
      expect(tracerOf(t.pid)).toBe(other.pid);
    } finally {
      other.kill('SIGKILL');
    }
    const until = Date.now() + 5000;
    while (tracerOf(t.pid) !== 0 && Date.now() < until) await sleep(10);
    expect((await selfCheck(t)).ok).toBe('1');
  });

  it.each(DUMP_STEPS.map((s) => [s]))('a fault at step %s fails the dump and the program runs on exactly as before', async (step) => {
    const t = await startDetached(bin);
    const r = dumpTree({ pid: t.pid, imagesDir: imagesDir(`fault-${step}`), faultInjection: step });
    expect(E.isLeft(r)).toBe(true);
    if (E.isLeft(r)) expect(r.left.message).toContain(`fault injected at step ${step}`);
    expect(tracerOf(t.pid)).toBe(0);
    expect(readFileSync(`/proc/${t.pid}/maps`, 'utf8')).not.toContain('/dev/zero (deleted)');
    expect((await selfCheck(t)).ok).toBe('1');
  });
});
