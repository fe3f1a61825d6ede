import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanup, compile, removeBuildDir, removeDir, selfCheck, sleep, startDetached, type Target } from './helpers.js';

/**
 * `kill -9` of criu-ts in the middle of a dump must leave the tree running as it was: the kernel
 * detaches every tracee when the tracer dies, so whatever criu-ts changed in a task must already be
 * undone at every moment it could die. The bin is killed after a spread of delays covering its
 * start-up and the whole dump; after each kill the program must be untraced, have its own mappings and
 * fds only, and pass its own check.
 *
 * The hard case is a kill while a thread executes a remote syscall: each call runs from a
 * `syscall; ret` with the stack on a signal frame of the thread's own state, so a thread orphaned
 * mid-call finishes the call and returns into rt_sigreturn, back where it was stopped.
 */

const binJs = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const dirs: string[] = [];

afterEach(async () => {
  expect(await cleanup()).toEqual([]);
});
afterAll(() => {
  for (const dir of dirs) removeDir(dir);
  removeBuildDir();
});

function tracerOf(pid: number): number {
  return Number(/^TracerPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
}

/** Each thread's state letter: a task left in a ptrace stop would show 't'. */
function threadStates(pid: number): string[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2];
  });
}

function maps(pid: number): string[] {
  return readFileSync(`/proc/${pid}/maps`, 'utf8').trim().split('\n');
}

function fds(pid: number): string[] {
  return readdirSync(`/proc/${pid}/fd`).map((fd) => `${fd} ${readlinkSync(`/proc/${pid}/fd/${fd}`)}`).sort();
}

/** The program's fds once it has closed its info file (it may still be closing it when we first look). */
async function settledFds(pid: number): Promise<string[]> {
  let before = fds(pid);
  for (let i = 0; i < 50; i++) {
    await sleep(20);
    const now = fds(pid);
    if (now.join() === before.join()) return now;
    before = now;
  }
  return before;
}

/**
 * Runs `criu-ts dump -R` on the target as a process of its own and SIGKILLs it `delayMs` after the
 * dump began (the first moment the target shows a tracer); returns how long the dump had run.
 */
async function dumpKilledAfter(t: Target, delayMs: number): Promise<{ finished: boolean; ranMs: number }> {
  const images = mkdtempSync('/tmp/tree-killed-');
  dirs.push(images);
  const child = spawn(process.execPath, [binJs, 'dump', '-t', String(t.pid), '-D', images, '-R'], { stdio: 'ignore', detached: true });
  let finished = false;
  const exited = new Promise<void>((resolve) => child.on('exit', () => ((finished = true), resolve())));
  while (!finished && tracerOf(t.pid) === 0) await sleep(1);
  const began = performance.now();
  await Promise.race([sleep(delayMs), exited]);
  try {
    process.kill(child.pid!, 'SIGKILL');
  } catch {
    // it had finished
  }
  await exited;
  return { finished: finished && performance.now() - began < delayMs, ranMs: performance.now() - began };
}

describe('criu-ts killed with SIGKILL during a dump', () => {
  it('leaves the program running untraced, unchanged and healthy, wherever the kill lands', { timeout: 600_000 }, async () => {
    const stateCheck = compile('state-check');
    const { ranMs: total } = await dumpKilledAfter(await startDetached(stateCheck), 60_000);

    // 16 delays from the first ptrace call to past the end of the dump; a fresh program for each,
    // so that its one self-check speaks for that kill alone
    const delays = Array.from({ length: 16 }, (_, i) => Math.round((i * total * 1.1) / 15));
    for (const delay of delays) {
      const t = await startDetached(stateCheck);
      const fdsBefore = await settledFds(t.pid);
      const mapsBefore = maps(t.pid);
      const { finished } = await dumpKilledAfter(t, delay);
      const at = `a kill ${delay} ms into a ${Math.round(total)} ms dump${finished ? ' (it had finished)' : ''}`;
      // the kernel detaches the tracees when the tracer dies; give them a moment to run on
      const deadline = Date.now() + 2000;
      while (Date.now() < deadline && existsSync(`/proc/${t.pid}`) && (tracerOf(t.pid) !== 0 || threadStates(t.pid).includes('t'))) await sleep(5);
      expect(existsSync(`/proc/${t.pid}`), `alive after ${at}`).toBe(true);
      expect(tracerOf(t.pid), `tracer after ${at}`).toBe(0);
      expect(threadStates(t.pid).includes('t'), `a thread still in a trace stop after ${at}`).toBe(false);
      expect(maps(t.pid), `mappings after ${at}`).toEqual(mapsBefore);
      // known window: the pages file passed in for the task to write its own pages (closed on exec)
      const added = fds(t.pid).filter((fd) => !fdsBefore.includes(fd));
      expect(fdsBefore.filter((fd) => !fds(t.pid).includes(fd)), `fds lost after ${at}`).toEqual([]);
      expect(added.filter((fd) => !/ \/tmp\/tree-killed-[^/]+\/pages-\d+\.img$/.test(fd)), `fds added after ${at}`).toEqual([]);
      const check = await selfCheck(t);
      expect(check.status, `self-check after ${at}: ${JSON.stringify(check)}`).toBe('OK');
    }
  });
});
