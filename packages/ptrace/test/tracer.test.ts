import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fromThreadInfo, toThreadInfo } from '@criu-ts/arch-x86';
import { taskState, Tracer } from '../src/index.js';
import { cleanup, compile, sleep, startDetached, stopAndCheck, waitForFile } from './helpers.js';

const dist = fileURLToPath(new URL('../dist/tracer-worker.js', import.meta.url));

function right<A>(e: E.Either<{ message: string }, A>): A {
  if (E.isLeft(e)) throw new Error(e.left.message);
  return e.right;
}

beforeAll(() => {
  if (!existsSync(dist)) throw new Error('build @criu-ts/ptrace first (npm run build): the tracer worker runs from dist');
});

/** Tracer processes the tests start; one a failed test did not get to kill would hold its tree. */
const tracers: ChildProcess[] = [];

afterEach(() => {
  for (const child of tracers.splice(0)) child.kill('SIGKILL');
});

afterAll(async () => {
  expect(await cleanup()).toEqual([]);
});

describe('the tracer thread', () => {
  it('freezes, reads thread state and runs remote syscalls off the event loop', async () => {
    const t = await startDetached(compile('tree4'), ['16']);
    const tracer = Tracer.start();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const tree = right(await tracer.call('freezeTree', t.pid)());
    const sleeper = Number(t.info.sleeper_tid);
    expect(right(await tracer.call('remoteSyscall', sleeper, 'gettid', [])()).ret).toBe(BigInt(sleeper));

    // A thread's registers go to the image form and back unchanged.
    const regs = right(await tracer.call('getThreadRegs', sleeper)());
    const ti = toThreadInfo({ ...regs, clearTidAddr: 0n });
    expect(ti.gpregs.mode).toBe(1);
    expect(ti.fpregs.xsave?.ymmh_space.length).toBe(64);
    const back = fromThreadInfo(ti, { xstateSize: regs.regsets.xstate.byteLength });
    expect(Buffer.from(back.gpregs)).toEqual(Buffer.from(regs.gpregs));
    expect(Buffer.from(back.regsets.xstate)).toEqual(Buffer.from(regs.regsets.xstate));
    right(await tracer.call('setThreadRegs', sleeper, { gpregs: back.gpregs, regsets: back.regsets })());

    // The dump's view of a thread: registers fixed up for restore, mask, rseq, clear-tid address.
    const state = right(await tracer.call('readThreadState', sleeper, { clearTid: true })());
    const image = toThreadInfo({ ...state.regs, clearTidAddr: state.clearTidAddr! });
    expect(image.clear_tid_addr).not.toBe(0n);
    expect(image.gpregs.orig_ax === 230n ? image.gpregs.ax : 0n).not.toBe(2n ** 64n - 516n);

    const mask = right(await tracer.call('getSigmask', sleeper)());
    expect(typeof mask).toBe('bigint');
    const rseq = right(await tracer.call('getRseqConfiguration', sleeper)());
    expect(rseq.rseq_abi_pointer).not.toBe(0n); // glibc 2.35+ registers rseq for every thread
    expect(rseq.signature).toBe(0x53053053);
    const info = right(await tracer.call('getSyscallInfo', sleeper)());
    expect(info.op).toBe('none'); // an interrupt stop is not a syscall stop

    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
    right(await tracer.call('thawTree', tree)());
    await tracer.close();
    const result = await stopAndCheck(t);
    expect(result.selfcheck, result.failure).toBe('OK');
  });

  it('SIGKILL of the tracer process while the tree is frozen leaves every task running unharmed', async () => {
    const t = await startDetached(compile('tree4'), ['16']);
    const marker = join(t.dir, 'frozen.json');
    const fixture = fileURLToPath(new URL('./fixtures/freeze-and-hold.mjs', import.meta.url));
    // The tracer is our child; the target is not (it was started with setsid -f).
    const child = spawn(process.execPath, [fixture, String(t.pid), marker], { stdio: ['ignore', 'ignore', 'inherit'] });
    tracers.push(child);
    const exited = new Promise((r) => child.on('exit', r));
    const held = JSON.parse(await waitForFile(marker, 20_000)) as { threads: number[]; calls: { pid: number; ret: number }[] };
    // every thread's getpid answered its own process (the tree may hold a forked child too)
    expect(held.calls.filter((c) => c.pid === t.pid).length).toBeGreaterThanOrEqual(8);
    expect(held.calls.filter((c) => c.ret !== c.pid)).toEqual([]);
    for (const tid of [t.pid, Number(t.info.regs_tid), Number(t.info.counter_tid), Number(t.info.sleeper_tid)]) {
      expect(taskState(tid)).toBe('t');
    }
    child.kill('SIGKILL');
    await exited;
    await sleep(100);
    for (const tid of held.threads) {
      const st = taskState(tid);
      if (st !== undefined) expect(st).not.toBe('t'); // forked children may have exited meanwhile
    }
    expect(taskState(t.pid)).toMatch(/[RS]/);
    const result = await stopAndCheck(t);
    expect(result.selfcheck, result.failure).toBe('OK');
    expect(Number(result.forks)).toBeGreaterThan(0);
  });

  it('SIGKILL of the tracer during a remote syscall: the thread finishes the call and resumes where it was', async () => {
    const t = await startDetached(compile('tree4'), ['16']);
    const marker = join(t.dir, 'in-call.json');
    const fixture = fileURLToPath(new URL('./fixtures/freeze-and-die-mid-call.mjs', import.meta.url));
    // the thread spinning in user code with marker registers: a wrong return would be seen
    const tid = Number(t.info.regs_tid);
    const child = spawn(process.execPath, [fixture, String(t.pid), String(tid), marker], { stdio: ['ignore', 'ignore', 'inherit'] });
    tracers.push(child);
    const exited = new Promise((r) => child.on('exit', r));
    await waitForFile(marker, 20_000);
    // it is inside poll(), run from our gadget with our registers
    expect(readFileSync(`/proc/${t.pid}/task/${tid}/syscall`, 'utf8').split(' ')[0]).toBe('7');
    child.kill('SIGKILL');
    await exited;
    await sleep(2000);
    expect(taskState(t.pid)).toMatch(/[RS]/);
    const result = await stopAndCheck(t);
    expect(result.selfcheck, result.failure).toBe('OK');
    // back in its spin loop with its own registers: r12 still 0, xmm7 still the marker
    expect(result.regs_got).toBe('0x0');
    expect(result.regs_xmm).toBe('0x1234abcd5678ef01');
  });
});

