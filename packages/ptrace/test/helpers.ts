import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listThreads } from '../src/proc.js';
import { pollTask } from '../src/wait.js';

/** Test plumbing: compile a workload, start it outside our process tree, read what it reports, clean up. */

const workloads = fileURLToPath(new URL('./workloads/', import.meta.url));
let buildDir = '';

export function compile(name: string, extra: string[] = []): string {
  buildDir ||= mkdtempSync(join(tmpdir(), 'criu-ts-ptrace-bin-'));
  const out = join(buildDir, name);
  if (!existsSync(out)) execFileSync('gcc', ['-O2', '-Wall', '-pthread', '-o', out, join(workloads, `${name}.c`), ...extra]);
  return out;
}

export interface Target {
  readonly dir: string;
  readonly pid: number;
  readonly info: Record<string, string>;
}

/**
 * Starts `bin DIR args...` with `setsid -f`: the target is reparented to init, never a child of this
 * process, so Node's SIGCHLD handling cannot steal its ptrace stops; it leads its own session and
 * process group, so cleanup can kill its whole tree at once.
 */
export async function startDetached(bin: string, args: string[] = [], timeoutMs = 10_000): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'criu-ts-ptrace-run-'));
  const r = spawnSync('setsid', ['-f', bin, dir, ...args], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`setsid -f ${bin} failed: ${r.status}`);
  const info = await waitForFile(join(dir, 'info'), timeoutMs);
  const fields = parseFields(info);
  started.push(Number(fields.pid));
  dirs.push(dir);
  return { dir, pid: Number(fields.pid), info: fields };
}

export function parseFields(text: string): Record<string, string> {
  return Object.fromEntries(text.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

export async function waitForFile(path: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (existsSync(path)) return readFileSync(path, 'utf8');
    await sleep(10);
  }
  throw new Error(`${path} did not appear within ${timeoutMs} ms`);
}

/** Asks a tree4-style workload to stop and check itself; returns its result fields. */
export async function stopAndCheck(t: Target, timeoutMs = 20_000): Promise<Record<string, string>> {
  writeFileSync(join(t.dir, 'stop'), '');
  return parseFields(await waitForFile(join(t.dir, 'result'), timeoutMs));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const started: number[] = [];
const dirs: string[] = [];

/** Kills every workload's process group and waits until no process of those sessions is left (init reaps them). */
export async function cleanup(): Promise<string[]> {
  for (const pid of started) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {}
  }
  const deadline = Date.now() + 5000;
  let left: string[] = [];
  while (Date.now() < deadline) {
    left = strays(started);
    // A task killed while this thread traced it stays a zombie until this thread collects it.
    for (const line of left) reapIfTraced(Number(line.trim().split(/\s+/)[0]));
    if (left.length === 0) break;
    await sleep(20);
  }
  started.length = 0;
  for (const dir of dirs.splice(0)) removeDir(dir);
  if (buildDir) removeDir(buildDir);
  buildDir = '';
  return left;
}

/** Processes (zombies included) still in the sessions of the given session leaders. */
export function strays(sids: number[]): string[] {
  const ps = spawnSync('ps', ['-eo', 'pid=,sid=,stat=,comm='], { encoding: 'utf8' }).stdout;
  return ps.split('\n').filter((l) => {
    const f = l.trim().split(/\s+/);
    return f.length >= 3 && sids.includes(Number(f[1]));
  });
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

function reapIfTraced(pid: number): void {
  for (const tid of listThreads(pid) ?? [pid]) {
    try {
      pollTask(tid);
    } catch {}
  }
}
