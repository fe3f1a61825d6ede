import * as E from 'fp-ts/lib/Either.js';
import { afterAll, describe, expect, it } from 'vitest';
import {
  freezeTree, getSeccompFilters, hostArch, releaseStragglers, remoteSyscall, taskState, thawTree, Tracer, PTRACE_O, type PtraceError,
} from '../src/index.js';
import { cleanup, compile, parseFields, sleep, startDetached, stopAndCheck, waitForFile } from './helpers.js';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const arch = hostArch();

function right<A>(e: E.Either<PtraceError, A>): A {
  if (E.isLeft(e)) throw new Error(e.left.message);
  return e.right;
}

function left<A>(e: E.Either<PtraceError, A>): PtraceError {
  if (E.isRight(e)) throw new Error('expected an error');
  return e.left;
}

afterAll(async () => {
  expect(await cleanup()).toEqual([]);
});

describe('errors are values naming the syscall, the pid and errno', () => {
  it('ESRCH: a task that does not exist, and one killed while frozen', async () => {
    const gone = left(freezeTree(0x3ffffff));
    expect(gone).toMatchObject({ pid: 0x3ffffff, code: 'ESRCH' });

    const t = await startDetached(compile('tree4'), ['16']);
    const tree = right(freezeTree(t.pid));
    process.kill(-t.pid, 'SIGKILL');
    await sleep(50);
    const err = left(remoteSyscall(Number(t.info.sleeper_tid), arch, arch.syscalls.getpid, []));
    expect(err.code).toBe('ESRCH');
    expect(err.pid).toBe(Number(t.info.sleeper_tid));
    expect(err.syscall).toMatch(/^PTRACE_|remote/);
    // Thaw reports the dead threads and collects them: no zombie is left (afterAll checks).
    const report = right(thawTree(tree));
    expect(report.vanished).toContain(t.pid);
  });

  it('EINVAL: a child of this Node process is refused (libuv would reap its stops)', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    await sleep(50);
    const err = left(freezeTree(child.pid!));
    expect(err).toMatchObject({ pid: child.pid, code: 'EINVAL' });
    expect(err.message).toMatch(/child of this Node process/);
    child.kill('SIGKILL');
  });

  it('EPERM: a task another tracer already holds', async () => {
    const t = await startDetached(compile('tree4'), ['16']);
    const other = Tracer.start();
    const held = await other.call('freezeTree', t.pid)();
    expect(E.isRight(held)).toBe(true);
    const err = left(freezeTree(t.pid));
    expect(err).toMatchObject({ syscall: 'PTRACE_SEIZE', code: 'EPERM' });
    expect(err.message).toMatch(/already traced by \d+/);
    await other.close();
    const result = await stopAndCheck(t);
    expect(result.selfcheck, result.failure).toBe('OK');
  });

  it('a freeze that fails half-way lets go of every thread it had already seized', async () => {
    // Children live 3 s; another tracer holds one of them, so our freeze of the whole tree fails on it.
    const t = await startDetached(compile('tree4'), ['16', '3000']);
    let child = 0;
    for (let i = 0; i < 100 && !child; i++) {
      child = Number(readFileSync(`/proc/${t.pid}/task/${t.pid}/children`, 'utf8').trim().split(' ')[0] || 0);
      if (!child) await sleep(20);
    }
    expect(child).toBeGreaterThan(0);
    const other = Tracer.start();
    expect(E.isRight(await other.call('freezeTree', child)())).toBe(true);
    const err = left(freezeTree(t.pid));
    expect(err).toMatchObject({ syscall: 'PTRACE_SEIZE', pid: child, code: 'EPERM' });
    for (const tid of [t.pid, Number(t.info.regs_tid), Number(t.info.counter_tid), Number(t.info.sleeper_tid)]) {
      expect(readFileSync(`/proc/${tid}/status`, 'utf8')).toMatch(/^TracerPid:\s+0$/m);
    }
    await other.close();
    const result = await stopAndCheck(t);
    expect(result.selfcheck, result.failure).toBe('OK');
  });

  it('ETIMEDOUT: a task in uninterruptible sleep is reported, then released once it wakes', async () => {
    const t = await startDetached(compile('vfork_sleep'), ['1500']);
    await sleep(100);
    expect(taskState(t.pid)).toBe('D');
    const err = left(freezeTree(t.pid, { stopTimeoutMs: 300 }));
    expect(err).toMatchObject({ syscall: 'waitpid', pid: t.pid, code: 'ETIMEDOUT' });
    expect(err.message).toMatch(/uninterruptible/);
    // It stops for the pending interrupt when it wakes; then it is let go and finishes normally.
    const deadline = Date.now() + 10_000;
    while (releaseStragglers() > 0 && Date.now() < deadline) await sleep(50);
    expect(releaseStragglers()).toBe(0);
    const result = parseFields(await waitForFile(join(t.dir, 'result'), 10_000));
    expect(result.selfcheck).toBe('OK');
  });

  it('ETIMEDOUT: a remote syscall that blocks is interrupted, and the task is left as it was', async () => {
    const t = await startDetached(compile('tree4'), ['16']);
    const tree = right(freezeTree(t.pid));
    const sleeper = Number(t.info.sleeper_tid);
    for (const mode of ['vdso', 'patch'] as const) {
      const err = left(remoteSyscall(sleeper, arch, arch.syscalls.pause, [], { mode, timeoutMs: 200 }));
      expect(err).toMatchObject({ pid: sleeper, code: 'ETIMEDOUT' });
      expect(right(remoteSyscall(sleeper, arch, arch.syscalls.gettid, [], { mode })).ret).toBe(BigInt(sleeper));
    }
    right(thawTree(tree));
    const result = await stopAndCheck(t);
    expect(result.selfcheck, result.failure).toBe('OK');
  });

  it('a seccomp-killed remote call is reported with SIGSYS; PTRACE_O_SUSPEND_SECCOMP lets the call through', async () => {
    const t = await startDetached(compile('seccomp_kill'));
    const tree = right(freezeTree(t.pid));
    const filters = right(getSeccompFilters(t.pid));
    expect(filters).toHaveLength(1);
    expect(filters[0].filter.byteLength).toBe(8 * Number(t.info.insns));
    // Suspended by default at seize: getppid runs, and the process is not killed.
    const ppid = right(remoteSyscall(t.pid, arch, arch.syscalls.getppid, [])).ret;
    expect(ppid).toBeGreaterThan(0n);
    right(thawTree(tree));
    await sleep(20);
    expect(taskState(t.pid)).toMatch(/[RS]/);

    const strict = right(freezeTree(t.pid, { options: PTRACE_O.TRACESYSGOOD }));
    const err = left(remoteSyscall(t.pid, arch, arch.syscalls.getppid, []));
    expect(err).toMatchObject({ pid: t.pid, signal: 31 });
    expect(err.message).toMatch(/seccomp/);
    thawTree(strict);
  });
});
