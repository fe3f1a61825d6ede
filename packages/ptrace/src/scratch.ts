import type { Arch } from './arch.js';
import { fail } from './errors.js';
import { getRegsetRaw } from './regs.js';
import { readMaps, threadGroupOf } from './proc.js';
import { remoteSyscallRaw, type RemoteSyscallOptions } from './remote-syscall.js';

const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_PRIVATE = 0x02;
const MAP_ANONYMOUS = 0x20;

/**
 * Runs `body` with scratch memory inside the task (for the arguments and results of remote syscalls
 * that take pointers). Up to 512 bytes on x86-64 come from just below the thread's red zone, when that
 * memory is mapped: the kernel writes signal frames there (over a KiB) at any moment, so the program
 * keeps nothing in it, and nothing is left in the task if the tracer dies mid-way. Otherwise a fresh
 * private anonymous mapping is made, and unmapped afterwards whatever happens (unless the tracer dies).
 */
export function withRemoteScratch<A>(tid: number, arch: Arch, size: number, body: (addr: bigint) => A, opts: RemoteSyscallOptions = {}): A {
  const onStack = size <= STACK_SCRATCH ? belowRedZone(tid, arch) : undefined;
  if (onStack !== undefined) return body(onStack);
  const len = Math.ceil(size / arch.pageSize) * arch.pageSize;
  // 32-bit ABIs' plain mmap takes a struct pointer; mmap2 takes the arguments in registers.
  const mmap = syscallTable(tid, arch).mmap2 !== undefined ? 'mmap2' : 'mmap';
  const addr = remoteCall(tid, arch, mmap, [0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0], opts);
  try {
    return body(addr);
  } finally {
    remoteCall(tid, arch, 'munmap', [addr, len], opts);
  }
}

const STACK_SCRATCH = 512;
const RED_ZONE = 128n;

/** 512 bytes below the x86-64 red zone of a 64-bit thread, if mapped writable. */
function belowRedZone(tid: number, arch: Arch): bigint | undefined {
  if (arch.name !== 'x86_64') return undefined;
  const raw = getRegsetRaw(tid, arch.gpregs.note, arch.gpregs.size);
  if (arch.syscallsFor && arch.syscallsFor(raw) !== arch.syscalls) return undefined;
  const sp = arch.stackPointer(raw);
  const start = (sp - RED_ZONE - BigInt(STACK_SCRATCH)) & ~63n;
  const area = (readMaps(threadGroupOf(tid) ?? tid) ?? []).find((m) => m.start <= start && sp <= m.end);
  return area && area.perms.startsWith('rw') ? start : undefined;
}

/** A remote syscall by name that throws PtraceFailure on a -errno result. */
export function remoteCall(tid: number, arch: Arch, name: string, args: readonly (bigint | number)[], opts: RemoteSyscallOptions = {}): bigint {
  const nr = syscallTable(tid, arch)[name];
  if (nr === undefined) fail(`remote ${name}`, tid, 38 /* ENOSYS */, `no syscall ${name} on ${arch.name}`);
  const { ret } = remoteSyscallRaw(tid, arch, nr, args, opts);
  if (ret < 0n && ret >= -4095n) fail(`remote ${name}`, tid, Number(-ret));
  return ret;
}

/** The system call table of this thread's ABI (ia32 under x86-64 has its own numbers). */
export function syscallTable(tid: number, arch: Arch): Readonly<Record<string, number>> {
  return arch.syscallsFor ? arch.syscallsFor(getRegsetRaw(tid, arch.gpregs.note, arch.gpregs.size)) : arch.syscalls;
}
