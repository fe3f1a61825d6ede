/**
 * `criu-ts demo`: a sample program is started, checkpointed (which stops it), and restored: it goes
 * on counting from where it was, with the same PID and the same memory. Each step is shown.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dump, restore } from './api.js';

const SOURCE = fileURLToPath(new URL('../demo/counter.c', import.meta.url));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runDemo(say: (line: string) => void): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'criu-ts-demo-'));
  const images = join(dir, 'images');
  let pid: number | undefined;
  try {
    say(`1. compiling the sample program (${SOURCE})`);
    const bin = join(dir, 'counter');
    execFileSync('cc', ['-O2', '-o', bin, SOURCE]);

    say('2. starting it in a session of its own: it counts ten times a second and checks 32 MiB of memory');
    const started = spawnSync('setsid', ['-f', bin, dir], { stdio: 'ignore' });
    if (started.status !== 0) throw new Error('could not start the sample program');
    pid = Number(await waitFor(() => read(join(dir, 'pid'))));
    await waitFor(() => (countOf(dir) >= 10 ? 'yes' : undefined));
    say(`   running as PID ${pid}: ${status(dir)}`);

    say(`3. criu-ts dump -t ${pid} -D ${images}`);
    execFileSync('mkdir', ['-p', images]);
    const dumped = await dump({ pid, imagesDir: images })();
    if (dumped._tag === 'Left') throw new Error(`dump failed: ${dumped.left.message}`);
    const atDump = countOf(dir);
    const gone = await waitFor(() => (existsSync(`/proc/${pid}`) ? undefined : 'gone'), 5000).catch(() => 'still there (unexpected)');
    say(`   checkpointed; the program stopped at count ${atDump} and PID ${pid} is ${gone}`);
    await sleep(1000);
    say(`   a second later the count is still ${countOf(dir)}`);

    say(`4. criu-ts restore -D ${images} -d`);
    const restored = await restore({ imagesDir: images })();
    if (restored._tag === 'Left') throw new Error(`restore failed: ${restored.left.message}`);
    say(`   restored as PID ${restored.right.rootPid}`);
    await sleep(1000);
    const after = countOf(dir);
    say(`   a second later: ${status(dir)}`);
    const ok = restored.right.rootPid === pid && after > atDump && status(dir).includes('memory=ok');
    say(ok ? `5. it went on from ${atDump} to ${after}, same PID, memory intact: done.` : '5. the restored program did not continue as it should.');
    return ok ? 0 : 1;
  } finally {
    if (pid !== undefined) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

function status(dir: string): string {
  return read(join(dir, 'count')) ?? '(nothing yet)';
}

function countOf(dir: string): number {
  return Number(/count=(\d+)/.exec(status(dir))?.[1] ?? 0);
}

async function waitFor(probe: () => string | undefined, timeoutMs = 10_000, what = 'the sample program did not start'): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(what);
    await sleep(20);
  }
}
