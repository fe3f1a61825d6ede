import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeUserRegs, syscallsIa32, toThreadInfo } from '@criu-ts/arch-x86';
import { freezeTree, getThreadRegs, hostArch, readMaps, remoteSyscall, taskState, thawTree } from '../src/index.js';
import { sleep } from './helpers.js';

const arch = hostArch();
let pid = 0;
const dir = mkdtempSync(join(tmpdir(), 'criu-ts-ia32-'));

function exeOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return undefined;
  }
}

function right<A>(e: E.Either<{ message: string }, A>): A {
  if (E.isLeft(e)) throw new Error(e.left.message);
  return e.right;
}

afterAll(async () => {
  try {
    if (pid) process.kill(pid, 'SIGKILL');
  } catch {}
  for (let i = 0; i < 100 && pid && taskState(pid) !== undefined; i++) await sleep(20);
  expect(pid && taskState(pid)).toBeFalsy();
  rmSync(dir, { recursive: true, force: true });
});

const bin = join(dir, 'ia32_sleep');
execFileSync('gcc', ['-m32', '-nostdlib', '-static', '-O2', '-fno-pie', '-no-pie', '-o', bin, fileURLToPath(new URL('./workloads/ia32_sleep.c', import.meta.url))]);
// A kernel built with IA32_EMULATION may still have it off (ia32_emulation=0, or a hypervisor
// without 32-bit code segments): then no ia32 task can exist here to be traced. The program runs
// until killed; bash's exec fails at once instead (exit 126, with no fallback to running it as a
// script as execvp has).
const ia32Runs = spawnSync('bash', ['-c', 'exec "$0"', bin], { timeout: 300 }).status !== 126;

describe.skipIf(!ia32Runs)('an ia32 (compat) task', () => {
  it('is frozen, read as user_regs_struct32 (mode COMPAT), driven through int 0x80 and thawed', async () => {
    // sh's background job is no group leader, so setsid runs it in place: $! is its PID
    const started = spawnSync('sh', ['-c', 'setsid "$0" </dev/null >/dev/null 2>&1 & echo $!', bin], { encoding: 'utf8' });
    pid = Number(started.stdout.trim());
    expect(pid, started.stderr).toBeGreaterThan(0);
    for (let i = 0; i < 500 && exeOf(pid) !== bin; i++) await sleep(10);
    expect(exeOf(pid)).toBe(bin);
    await sleep(50);

    const tree = right(freezeTree(pid));
    const regs = right(getThreadRegs(pid, arch));
    expect(regs.gpregs.byteLength).toBe(68);
    const r = decodeUserRegs(regs.gpregs);
    if (r.mode !== 'compat') throw new Error('expected compat registers');
    expect(r.xcs).toBe(0x23n); // the 32-bit user code segment
    expect(r.eip).toBeLessThan(0x0804b000n);
    const ti = toThreadInfo({ ...regs, clearTidAddr: 0n });
    expect(ti.gpregs.mode).toBe(2);
    expect(ti.gpregs.ip).toBe(r.eip);
    // Frozen in nanosleep(162) through int 0x80.
    if (r.orig_eax === 162n) expect(BigInt.asIntN(32, r.eax)).toBe(-516n);
    // Remote syscalls go through the 32-bit vDSO's int 0x80 (or a patched one), with ia32 numbers.
    for (const mode of ['vdso', 'patch'] as const) {
      expect(right(remoteSyscall(pid, arch, syscallsIa32.getpid, [], { mode })).ret).toBe(BigInt(pid));
      // A 32-bit mapping address comes back whole, not as a negative int32.
      const page = right(remoteSyscall(pid, arch, syscallsIa32.mmap2, [0, 4096, 3, 0x22, -1, 0], { mode })).ret;
      expect(page).toBeGreaterThan(0n);
      expect(page).toBeLessThan(2n ** 32n);
      expect(readMaps(pid)!.some((m) => m.start === page)).toBe(true);
      expect(right(remoteSyscall(pid, arch, syscallsIa32.munmap, [page, 4096], { mode })).ret).toBe(0n);
    }
    // Everything is as it was between calls.
    expect(Buffer.from(right(getThreadRegs(pid, arch)).gpregs)).toEqual(Buffer.from(regs.gpregs));
    right(thawTree(tree));
    await sleep(50);
    expect(taskState(pid)).toMatch(/[RS]/);
  });
});
