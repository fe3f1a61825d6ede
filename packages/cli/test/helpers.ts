import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Test plumbing: compile a workload, start it outside our process tree, ask it to check itself, clean up. */

const workloads = fileURLToPath(new URL('./workloads/', import.meta.url));
const buildDir = mkdtempSync(join(tmpdir(), 'dump-bin-'));

export function compile(name: string, extra: string[] = []): string {
  const out = join(buildDir, name);
  if (!existsSync(out)) execFileSync('gcc', ['-O1', '-Wall', '-Wno-unused-result', '-pthread', '-o', out, join(workloads, `${name}.c`), ...extra]);
  return out;
}

export interface Target {
  readonly dir: string;
  readonly pid: number;
  readonly info: Record<string, string>;
}

/**
 * Starts `bin DIR args...` with `setsid -f`: reparented to init, never a child of this process (Node's
 * SIGCHLD handling cannot steal its ptrace stops), leading its own session so cleanup can kill it.
 */
export async function startDetached(bin: string, args: string[] = [], timeoutMs = 10_000): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'dump-run-'));
  const r = spawnSync('setsid', ['-f', bin, dir, ...args], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`setsid -f ${bin} failed: ${r.status}`);
  // the program writes its info file with plain stdio: read it again until it is complete
  const deadline = Date.now() + timeoutMs;
  let fields = parseFields(await waitForFile(join(dir, 'info'), timeoutMs));
  while (!(Number(fields.pid) > 0) && Date.now() < deadline) {
    await sleep(10);
    fields = parseFields(readFileSync(join(dir, 'info'), 'utf8'));
  }
  started.push(Number(fields.pid));
  runDirs.push(dir);
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

/** Asks the workload to check itself; returns its result fields. */
export async function selfCheck(t: Target, timeoutMs = 10_000): Promise<Record<string, string>> {
  const result = join(t.dir, 'result');
  if (existsSync(result)) unlinkSync(result);
  writeFileSync(join(t.dir, 'check'), '');
  return parseFields(await waitForFile(result, timeoutMs));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const started: number[] = [];
const runDirs: string[] = [];

/** Kills every workload's session and waits until none of its processes is left (init reaps them). */
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
    if (left.length === 0) break;
    await sleep(20);
  }
  started.length = 0;
  for (const d of runDirs.splice(0)) removeDir(d);
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

/** Removes the compiled workloads (call once, after the last test). */
export function removeBuildDir(): void {
  removeDir(buildDir);
}
