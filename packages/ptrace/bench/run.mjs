// Benchmarks of @criu-ts/ptrace over the built package: remote syscalls per second (both gadgets, on
// this thread and through the tracer worker) and bulk memory read throughput next to a plain
// in-process copy of the same size, measured in the same run.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freezeTree, hostArch, readMemoryBulk, remoteSyscall, thawTree, Tracer, writeMemoryBulk } from '../dist/index.js';

const MIB = Number(process.env.BENCH_MIB ?? 256);
const CALLS = Number(process.env.BENCH_CALLS ?? 2000);
const here = fileURLToPath(new URL('.', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'criu-ts-bench-'));
const bin = join(work, 'tree4');
execFileSync('gcc', ['-O2', '-pthread', '-o', bin, join(here, '../test/workloads/tree4.c')]);
spawnSync('setsid', ['-f', bin, work, String(MIB)], { stdio: 'ignore' });
const infoPath = join(work, 'info');
for (let i = 0; i < 3000 && !existsSync(infoPath); i++) await new Promise((r) => setTimeout(r, 10));
const info = Object.fromEntries(readFileSync(infoPath, 'utf8').trim().split('\n').map((l) => l.split('=')));
const pid = Number(info.pid);
const arch = hostArch();
const rows = [];
const ok = (e) => {
  if (e._tag === 'Left') throw new Error(e.left.message);
  return e.right;
};

try {
  // Freeze/thaw of the whole tree.
  let t0 = performance.now();
  const N_FREEZE = 20;
  for (let i = 0; i < N_FREEZE; i++) ok(thawTree(ok(freezeTree(pid))));
  rows.push(['freeze + thaw of the 4-thread tree', `${((performance.now() - t0) / N_FREEZE).toFixed(2)} ms each`]);

  const tree = ok(freezeTree(pid));
  for (const mode of ['vdso', 'patch']) {
    t0 = performance.now();
    for (let i = 0; i < CALLS; i++) ok(remoteSyscall(pid, arch, arch.syscalls.getpid, [], { mode }));
    const s = (performance.now() - t0) / 1000;
    rows.push([`remote getpid, ${mode} gadget, tracer = this thread`, `${Math.round(CALLS / s)} calls/s (${((s / CALLS) * 1e6).toFixed(0)} µs/call)`]);
  }

  // Bulk read: process_vm_readv on the thread pool, chunks delivered in order; no-op sink.
  const addr = BigInt(info.buf);
  const length = Number(info.bytes);
  const gbs = (bytes, ms) => (bytes / 1e9 / (ms / 1000)).toFixed(2);
  for (const depth of [1, 3]) {
    let best = Infinity;
    for (let rep = 0; rep < 3; rep++) {
      t0 = performance.now();
      ok(await readMemoryBulk(pid, [{ addr, length }], () => {}, { depth })());
      best = Math.min(best, performance.now() - t0);
    }
    rows.push([`bulk read ${MIB} MiB, process_vm_readv 4 MiB chunks, depth ${depth}`, `${gbs(length, best)} GB/s (${best.toFixed(0)} ms)`]);
  }
  // The same amount copied inside this process (Buffer.copy → memcpy), the ceiling for one copy.
  const src = Buffer.alloc(length, 1);
  const dst = Buffer.allocUnsafeSlow(length);
  src.copy(dst);
  let best = Infinity;
  for (let rep = 0; rep < 3; rep++) {
    t0 = performance.now();
    src.copy(dst);
    best = Math.min(best, performance.now() - t0);
  }
  rows.push([`in-process memcpy of ${MIB} MiB (same run)`, `${gbs(length, best)} GB/s (${best.toFixed(0)} ms)`]);
  // Bulk write: into fresh pages of a new mapping (page faults included), then into the same, now populated, pages.
  const fresh = ok(remoteSyscall(pid, arch, arch.syscalls.mmap, [0, length, 3, 0x22, -1, 0])).ret;
  for (const what of ['fresh', 'populated']) {
    t0 = performance.now();
    ok(await writeMemoryBulk(pid, [{ addr: fresh, bytes: src }])());
    const ms = performance.now() - t0;
    rows.push([`bulk write ${MIB} MiB, process_vm_writev, ${what} pages`, `${gbs(length, ms)} GB/s (${ms.toFixed(0)} ms)`]);
  }
  ok(remoteSyscall(pid, arch, arch.syscalls.munmap, [fresh, length]));
  ok(thawTree(tree));

  // Through the tracer worker: each call is a message round trip to the tracer thread.
  const tracer = Tracer.start();
  const wtree = ok(await tracer.call('freezeTree', pid)());
  const WCALLS = Math.min(CALLS, 1000);
  t0 = performance.now();
  for (let i = 0; i < WCALLS; i++) ok(await tracer.call('remoteSyscall', pid, 'getpid', [])());
  const s = (performance.now() - t0) / 1000;
  rows.push(['remote getpid, vdso gadget, through the tracer worker', `${Math.round(WCALLS / s)} calls/s (${((s / WCALLS) * 1e6).toFixed(0)} µs/call)`]);
  ok(await tracer.call('thawTree', wtree)());
  await tracer.close();
} finally {
  writeFileSync(join(work, 'stop'), '');
  for (let i = 0; i < 3000 && !existsSync(join(work, 'result')); i++) await new Promise((r) => setTimeout(r, 10));
  const result = existsSync(join(work, 'result')) ? readFileSync(join(work, 'result'), 'utf8') : 'selfcheck=missing\n';
  rows.push(['workload self-check after the bench', /selfcheck=OK/.test(result) ? 'OK' : result.trim()]);
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {}
  rmSync(work, { recursive: true, force: true });
}

const w = Math.max(...rows.map((r) => r[0].length));
console.log(`@criu-ts/ptrace bench (node ${process.version}, ${process.arch})`);
for (const [k, v] of rows) console.log(`  ${k.padEnd(w)}  ${v}`);
