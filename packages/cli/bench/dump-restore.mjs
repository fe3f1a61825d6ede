/**
 * Dump and restore speed on real processes, next to the same bytes written and read by dd to the
 * same disk in the same run (reads from a cold page cache, for dd and restore alike):
 *   - dump and restore of 256 MiB and 1 GiB of anonymous memory (GB/s, and the ratio to dd),
 *   - freezing a 100-thread process (ms),
 *   - dump and restore of a small process (one task, 4 MiB),
 *   - dump and restore time per 1,000 fds (a task holding 1,000 and 10,000 fds of mixed kinds).
 *   npm run bench -w @criu-ts/cli
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freezeTree, thawTree } from '@criu-ts/ptrace';
import { dump, restore } from '../dist/index.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'criu-ts-bench-'));
const bin = join(work, 'memory-hog');
execFileSync('cc', ['-O2', '-pthread', '-o', bin, join(here, 'memory-hog.c')]);
const manyFds = join(work, 'many-fds');
execFileSync('cc', ['-O2', '-o', manyFds, join(here, '../test/workloads/many-fds.c')]);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function start(mib, threads = 0) {
  return startProgram(bin, [String(mib), String(threads)]);
}

async function startProgram(program, args) {
  const dir = mkdtempSync(join(work, 'run-'));
  spawnSync('setsid', ['-f', program, dir, ...args], { stdio: 'ignore' });
  // the info file may be seen before it is complete
  const pidIn = () => (existsSync(join(dir, 'info')) ? /pid=(\d+)\n/.exec(readFileSync(join(dir, 'info'), 'utf8'))?.[1] : undefined);
  for (let i = 0; i < 3000 && pidIn() === undefined; i++) await sleep(10);
  return Number(pidIn());
}

async function gone(pid) {
  while (existsSync(`/proc/${pid}`)) await sleep(5);
}

function seconds(start) {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/**
 * Empties the page cache (where the kernel lets us), so that a read comes from the disk: the restore
 * and the dd read it is compared with both start cold. Without it both read memory, and the ratio
 * says nothing about the disk.
 */
function dropCaches() {
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '3');
    return true;
  } catch {
    return false;
  }
}

/** dd of the same size to and from the same disk: written through the page cache like the images, read cold. */
function ddBaseline(mib) {
  const file = join(work, 'dd.img');
  let t = process.hrtime.bigint();
  execFileSync('dd', ['if=/dev/zero', `of=${file}`, 'bs=1M', `count=${mib}`], { stdio: 'ignore' });
  const write = seconds(t);
  execFileSync('sync');
  dropCaches();
  t = process.hrtime.bigint();
  execFileSync('dd', [`if=${file}`, 'of=/dev/null', 'bs=1M'], { stdio: 'ignore' });
  const read = seconds(t);
  rmSync(file);
  return { write, read };
}

async function dumpAndRestore(mib, pid) {
  pid ??= await start(mib);
  const images = mkdtempSync(join(work, 'images-'));
  let t = process.hrtime.bigint();
  const dumped = await dump({ pid, imagesDir: images })();
  const dumpTime = seconds(t);
  if (dumped._tag === 'Left') throw new Error(dumped.left.message);
  await gone(pid);
  execFileSync('sync');
  cold ||= dropCaches();
  t = process.hrtime.bigint();
  const restored = await restore({ imagesDir: images })();
  const restoreTime = seconds(t);
  if (restored._tag === 'Left') throw new Error(restored.left.message);
  process.kill(pid, 'SIGKILL');
  const pages = execFileSync('sh', ['-c', `cat ${images}/pages-*.img | wc -c`], { encoding: 'utf8' });
  rmSync(images, { recursive: true, force: true });
  await gone(pid);
  return { dumpTime, restoreTime, bytes: Number(pages) };
}

const gb = (bytes, s) => (bytes / s / 1e9).toFixed(2);
/** Whether the page cache could be emptied before the reads (else both read memory). */
let cold = false;

for (const mib of [256, 1024]) {
  const dd = ddBaseline(mib);
  const run = await dumpAndRestore(mib);
  const bytes = mib * 1024 * 1024;
  console.log(
    `${mib} MiB${cold ? '' : ' (page cache not emptied: reads come from memory)'}: dump ${run.dumpTime.toFixed(2)} s = ${gb(bytes, run.dumpTime)} GB/s (${(dd.write / run.dumpTime).toFixed(2)}x dd write at ${gb(bytes, dd.write)} GB/s); ` +
      `restore ${run.restoreTime.toFixed(2)} s = ${gb(bytes, run.restoreTime)} GB/s (${(dd.read / run.restoreTime).toFixed(2)}x dd read at ${gb(bytes, dd.read)} GB/s); pages written ${(run.bytes / 1048576).toFixed(0)} MiB`,
  );
}

{
  const pid = await start(0, 100);
  const t = process.hrtime.bigint();
  const frozen = freezeTree(pid);
  const freeze = seconds(t);
  if (frozen._tag === 'Left') throw new Error(frozen.left.message);
  thawTree(frozen.right);
  console.log(`freeze of a 101-thread process: ${(freeze * 1000).toFixed(1)} ms`);
  process.kill(pid, 'SIGKILL');
  await gone(pid);
}

{
  const run = await dumpAndRestore(4);
  console.log(`small process (1 task, 4 MiB): dump ${(run.dumpTime * 1000).toFixed(0)} ms, restore ${(run.restoreTime * 1000).toFixed(0)} ms`);
}

{
  const runs = {};
  for (const fds of [1000, 10000]) runs[fds] = await dumpAndRestore(0, await startProgram(manyFds, [String(fds)]));
  const per1000 = (key) => (((runs[10000][key] - runs[1000][key]) / 9) * 1000).toFixed(0);
  console.log(
    `fds: 1,000 fds dump ${(runs[1000].dumpTime * 1000).toFixed(0)} ms, restore ${(runs[1000].restoreTime * 1000).toFixed(0)} ms; ` +
      `10,000 fds dump ${(runs[10000].dumpTime * 1000).toFixed(0)} ms, restore ${(runs[10000].restoreTime * 1000).toFixed(0)} ms; ` +
      `each further 1,000 fds: dump ${per1000('dumpTime')} ms, restore ${per1000('restoreTime')} ms`,
  );
}

rmSync(work, { recursive: true, force: true });
