import { closeSync, openSync } from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import { attempt } from './either.js';
import { EFAULT, EIO, fail, type PtraceError } from './errors.js';
import { addressOf, kbuf, keepAlive, NR, sys } from './libc.js';

/**
 * Reads and writes of another task's memory. process_vm_readv/writev first: one copy, no stop
 * needed, any thread may call them. They honour page protections, so PROT_NONE areas (and writes to
 * read-only ones) go through /proc/PID/mem, whose access is FOLL_FORCE like a debugger's.
 */

const iovs = kbuf(32);
const iovsAddr = addressOf(iovs);

function vm(nr: number, pid: number, buf: Uint8Array, addr: bigint): number {
  iovs.writeBigUInt64LE(addressOf(buf), 0);
  iovs.writeBigUInt64LE(BigInt(buf.byteLength), 8);
  iovs.writeBigUInt64LE(addr, 16);
  iovs.writeBigUInt64LE(BigInt(buf.byteLength), 24);
  const n = sys(nr, pid, iovsAddr, 1, iovsAddr + 16n, 1, 0);
  keepAlive(buf);
  return n;
}

/** Copies `length` bytes at `addr` out of task `pid` (any protection). */
export function readMemory(pid: number, addr: bigint, length: number): E.Either<PtraceError, Uint8Array> {
  return attempt(() => readMemoryRaw(pid, addr, length));
}

export function readMemoryRaw(pid: number, addr: bigint, length: number): Uint8Array {
  return readMemoryInto(pid, addr, kbuf(length));
}

/**
 * Fills `buf` (a kbuf, whose address is its first byte) from `addr` in task `pid`: for bulk copies
 * that reuse one buffer instead of allocating and zeroing one per chunk.
 */
export function readMemoryInto(pid: number, addr: bigint, buf: Buffer): Uint8Array {
  const length = buf.byteLength;
  const n = length === 0 ? 0 : vm(NR.process_vm_readv, pid, buf, addr);
  if (n === length) return new Uint8Array(buf.buffer, buf.byteOffset, length);
  if (n < 0 && -n !== EFAULT) fail('process_vm_readv', pid, -n);
  // Short or EFAULT: part of the range is not readable to process_vm (PROT_NONE): ask /proc/PID/mem.
  procMem(pid, 'r', (fd) => {
    const got = sys(NR.pread64, fd, addressOf(buf), length, addr);
    if (got < 0) fail('pread(/proc/PID/mem)', pid, -got, `at 0x${addr.toString(16)}`);
    if (got !== length) fail('pread(/proc/PID/mem)', pid, EIO, `${got} of ${length} bytes at 0x${addr.toString(16)}`);
  });
  return new Uint8Array(buf.buffer, buf.byteOffset, length);
}

/** Writes `bytes` at `addr` into task `pid`, read-only and PROT_NONE pages included. */
export function writeMemory(pid: number, addr: bigint, bytes: Uint8Array): E.Either<PtraceError, void> {
  return attempt(() => writeMemoryRaw(pid, addr, bytes));
}

export function writeMemoryRaw(pid: number, addr: bigint, bytes: Uint8Array): void {
  if (bytes.byteLength === 0) return;
  const buf = kbuf(bytes.byteLength);
  buf.set(bytes);
  const n = vm(NR.process_vm_writev, pid, buf, addr);
  if (n === bytes.byteLength) return;
  if (n < 0 && -n !== EFAULT) fail('process_vm_writev', pid, -n);
  procMem(pid, 'r+', (fd) => {
    // Raw pwrite64: addresses above 2^53 do not survive Node's fs position argument.
    const put = sys(NR.pwrite64, fd, addressOf(buf), buf.byteLength, addr);
    if (put < 0) fail('pwrite(/proc/PID/mem)', pid, -put, `at 0x${addr.toString(16)}`);
    if (put !== buf.byteLength) fail('pwrite(/proc/PID/mem)', pid, EIO, `${put} of ${buf.byteLength} bytes at 0x${addr.toString(16)}`);
  });
}

function procMem(pid: number, flags: string, body: (fd: number) => void): void {
  let fd: number;
  try {
    fd = openSync(`/proc/${pid}/mem`, flags);
  } catch (e) {
    return fail('open(/proc/PID/mem)', pid, -((e as NodeJS.ErrnoException).errno ?? -EIO));
  }
  try {
    body(fd);
  } catch (e) {
    if (e && typeof e === 'object' && 'errno' in e && typeof (e as NodeJS.ErrnoException).errno === 'number') {
      fail('/proc/PID/mem', pid, -(e as NodeJS.ErrnoException).errno!);
    }
    throw e;
  } finally {
    closeSync(fd);
  }
}
