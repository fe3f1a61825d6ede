import koffi from 'koffi';

/**
 * The kernel entry points this package uses, through koffi. Everything goes through one fixed-arity
 * `syscall()` (the variadic declaration costs ~14x more per call) so that ptrace requests are the raw
 * system call, not glibc's wrapper with its PEEK* return-value convention.
 */
const libc = koffi.load('libc.so.6');

const syscall7 = libc.func('long syscall(long, long, long, long, long, long, long)');

/** process_vm_readv/writev as libc functions, for `.async` (they run fine off the tracer thread). */
export const processVmReadv = libc.func('long process_vm_readv(int, void *, unsigned long, void *, unsigned long, unsigned long)');
export const processVmWritev = libc.func('long process_vm_writev(int, void *, unsigned long, void *, unsigned long, unsigned long)');

export const NR = {
  read: 0,
  write: 1,
  close: 3,
  ioctl: 16,
  pread64: 17,
  pwrite64: 18,
  sched_yield: 24,
  nanosleep: 35,
  sendmsg: 46,
  socketpair: 53,
  wait4: 61,
  kill: 62,
  ptrace: 101,
  gettid: 186,
  tgkill: 234,
  process_vm_readv: 310,
  process_vm_writev: 311,
  pidfd_open: 434,
  pidfd_getfd: 438,
} as const;

export type Word = number | bigint;

/** A raw system call: the result (>= 0) or -errno. */
export function sys(nr: number, a = 0 as Word, b = 0 as Word, c = 0 as Word, d = 0 as Word, e = 0 as Word, f = 0 as Word): number {
  const r = syscall7(nr, a, b, c, d, e, f) as number | bigint;
  const n = typeof r === 'bigint' ? Number(r) : r;
  return n === -1 ? -koffi.errno() : n;
}

/** Like sys, for calls whose result is an address or a 64-bit word. */
export function sysBig(nr: number, a = 0 as Word, b = 0 as Word, c = 0 as Word, d = 0 as Word, e = 0 as Word, f = 0 as Word): bigint {
  const r = syscall7(nr, a, b, c, d, e, f) as number | bigint;
  const n = BigInt(r);
  return n === -1n ? -BigInt(koffi.errno()) : n;
}

/** The address of a buffer's first byte, for passing it to the kernel. Keep the buffer alive across the call. */
export function addressOf(buf: Uint8Array): bigint {
  return BigInt(koffi.address(buf)) ;
}

let retained: unknown;

/**
 * Keeps buffers reachable up to this point. A buffer handed to the kernel only by address is, to V8,
 * dead after its last JavaScript use, and a GC before the system call returns frees its memory under
 * the kernel (seen as a flaky EIO from PTRACE_SETREGSET under allocation pressure). Call this after
 * the system call with every buffer whose address it was given.
 */
export function keepAlive(...buffers: unknown[]): void {
  retained = buffers;
}

/** A zero-filled buffer that can be handed to the kernel by address (backing store never moves). */
export function kbuf(size: number): Buffer {
  return Buffer.alloc(size);
}
