import { spawn } from 'node:child_process';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeUserRegs, encodeUserRegs } from '@criu-ts/arch-x86';
import { finalSyscall, remoteSyscall, freezeTree, getGpregs, hostArch, listChildren, setGpregs, taskState, thawTree, type FrozenTree } from '../src/index.js';
import { cleanup, compile, sleep, startDetached, stopAndCheck } from './helpers.js';

const arch = hostArch();

function right<A>(e: E.Either<{ message: string }, A>): A {
  if (E.isLeft(e)) throw new Error(e.left.message);
  return e.right;
}

afterAll(async () => {
  expect(await cleanup()).toEqual([]);
});

describe('freeze and thaw', () => {
  it('freezes every thread of a forking 4-thread program, and it carries on after thaw', async () => {
    // Each child lives 20 ms, so most freezes catch one alive (or a zombie) besides the parent.
    const t = await startDetached(compile('tree4'), ['16', '20']);
    await sleep(100);
    let forked = 0;
    for (let round = 0; round < 10; round++) {
      const tree: FrozenTree = right(freezeTree(t.pid));
      const root = tree.tasks[0];
      expect(root.pid).toBe(t.pid);
      expect(root.threads.map((th) => th.tid).sort()).toEqual(
        [t.pid, Number(t.info.regs_tid), Number(t.info.counter_tid), Number(t.info.sleeper_tid)].sort((a, b) => a - b),
      );
      // Every thread of every live task is in a ptrace stop: /proc says 't' (tracing stop), and every
      // child any of them has is in the tree too (nothing forked behind our back).
      const inTree = new Set(tree.tasks.map((task) => task.pid));
      for (const task of tree.tasks) {
        if (!task.zombie) expect(task.threads.length).toBeGreaterThan(0);
        for (const th of task.threads) {
          expect(taskState(th.tid)).toBe('t');
          for (const child of listChildren(task.pid, th.tid)) expect(inTree.has(child)).toBe(true);
        }
      }
      forked += tree.tasks.length - 1;
      await sleep(20);
      right(thawTree(tree));
      await sleep(30);
    }
    expect(forked).toBeGreaterThanOrEqual(5);
    const result = await stopAndCheck(t);
    expect(result.selfcheck, result.failure).toBe('OK');
    expect(Number(result.forks)).toBeGreaterThan(10);
  });

  it('reads a register the program set and writes one it waits for', async () => {
    const t = await startDetached(compile('tree4'), ['16']);
    const tree = right(freezeTree(t.pid));
    const tid = Number(t.info.regs_tid);
    const raw = right(getGpregs(tid, arch));
    const regs = decodeUserRegs(raw);
    if (regs.mode !== 'native') throw new Error('expected a 64-bit task');
    expect(regs.r13).toBe(0x1234abcd5678ef01n);
    expect(regs.r12).toBe(0n);
    right(setGpregs(tid, arch, encodeUserRegs({ ...regs, r12: 0xfeedfacecafen })));
    right(thawTree(tree));
    const result = await stopAndCheck(t);
    expect(result.selfcheck, result.failure).toBe('OK');
    expect(result.regs_got).toBe('0xfeedfacecafe');
  });
});

describe('interrupted syscalls and the final call', () => {
  it('a thread frozen inside nanosleep shows the restart code, and the fix-up rewinds it as the kernel would', async () => {
    const t = await startDetached(compile('tree4'), ['16']);
    let seen = 0;
    for (let i = 0; i < 20 && seen < 3; i++) {
      const tree = right(freezeTree(t.pid));
      const raw = right(getGpregs(Number(t.info.sleeper_tid), arch));
      const regs = decodeUserRegs(raw);
      if (regs.mode !== 'native') throw new Error('expected a 64-bit task');
      // glibc's nanosleep is clock_nanosleep (230), cut short by our interrupt: -ERESTART_RESTARTBLOCK,
      // unless the sample caught the thread between two sleeps.
      if (regs.orig_rax === 230n && BigInt.asIntN(64, regs.rax) !== -516n) {
        // Caught just as the sleep completed: nothing to fix up.
        expect(Buffer.from(arch.restartSyscall(raw))).toEqual(Buffer.from(raw));
      } else if (regs.orig_rax === 230n) {
        seen++;
        const fixed = decodeUserRegs(arch.restartSyscall(raw));
        if (fixed.mode !== 'native') throw new Error('mode changed');
        expect(BigInt.asIntN(64, fixed.rax)).toBe(-4n); // -EINTR: the caller's loop resumes the sleep
        expect(fixed.rip).toBe(regs.rip);
      }
      right(thawTree(tree));
      await sleep(7);
    }
    expect(seen).toBeGreaterThan(0);
    const result = await stopAndCheck(t);
    expect(result.selfcheck, result.failure).toBe('OK');
  });

  it('a final remote syscall installs a full register set at its exit and lets the thread run from there', async () => {
    const t = await startDetached(compile('tree4'), ['16']);
    const tree = right(freezeTree(t.pid));
    const tid = Number(t.info.regs_tid);
    const regs = decodeUserRegs(right(getGpregs(tid, arch)));
    if (regs.mode !== 'native') throw new Error('expected a 64-bit task');
    const done = right(finalSyscall(tid, arch, arch.syscalls.getpid, [], { gpregs: encodeUserRegs({ ...regs, r12: 0xabcn }), detach: true }));
    expect(done.ret).toBe(BigInt(t.pid));
    right(thawTree(tree));
    const result = await stopAndCheck(t);
    expect(result.selfcheck, result.failure).toBe('OK');
    expect(result.regs_got).toBe('0xabc');
  });
});

describe('thaw leaves every task as it was', () => {
  it('queued signals sent while the tree is frozen and thawed over and over are all delivered, once', async () => {
    const t = await startDetached(compile('tree4'), ['16']);
    // Another process sends 300 real-time signals (queued, so countable) while we freeze and thaw.
    const sender = spawn('bash', ['-c', `for i in $(seq 300); do kill -s RTMIN+1 ${t.pid}; done`], { stdio: 'ignore' });
    const sent = new Promise((r) => sender.on('exit', r));
    for (let i = 0; i < 30; i++) {
      const tree = right(freezeTree(t.pid));
      await sleep(2);
      right(thawTree(tree));
      await sleep(1);
    }
    await sent;
    await sleep(200);
    const result = await stopAndCheck(t);
    expect(result.selfcheck, result.failure).toBe('OK');
    expect(result.rt_signals).toBe('300');
  });

  it('a stopped (SIGSTOP) program stays stopped after thaw and resumes on SIGCONT', async () => {
    const t = await startDetached(compile('tree4'), ['16']);
    process.kill(t.pid, 'SIGSTOP');
    await sleep(50);
    expect(taskState(t.pid)).toBe('T');
    const tree = right(freezeTree(t.pid));
    expect(tree.tasks[0].threads.every((th) => th.stop === 'group-stop' && th.stateBefore === 'T')).toBe(true);
    // Driving a stopped thread does not end its job-control stop.
    for (const mode of ['vdso', 'patch'] as const) expect(right(remoteSyscall(t.pid, arch, arch.syscalls.getpid, [], { mode })).ret).toBe(BigInt(t.pid));
    right(thawTree(tree));
    await sleep(50);
    for (const tid of [t.pid, Number(t.info.counter_tid)]) expect(taskState(tid)).toBe('T');
    process.kill(t.pid, 'SIGCONT');
    const result = await stopAndCheck(t);
    expect(result.selfcheck, result.failure).toBe('OK');
  });
});
