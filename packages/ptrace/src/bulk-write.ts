import * as TE from 'fp-ts/lib/TaskEither.js';
import type { BulkReadOptions } from './bulk-read.js';
import { attemptAsync } from './either.js';
import type { PtraceError } from './errors.js';
import { addressOf, processVmWritev } from './libc.js';
import { writeMemoryRaw } from './memory.js';

/** Bytes to put at an address of another task. */
export interface MemoryWrite {
  readonly addr: bigint;
  readonly bytes: Uint8Array;
}

/**
 * Writes into task `pid` with up to `depth` process_vm_writev calls in flight on libuv's thread
 * pool (koffi `.async`), so neither the tracer thread nor the event loop copies. A chunk that
 * process_vm_writev cannot write whole (read-only or PROT_NONE pages) is written through
 * /proc/PID/mem on the calling thread. Resolves to the number of bytes written.
 */
export function writeMemoryBulk(pid: number, writes: readonly MemoryWrite[], opts: BulkReadOptions = {}): TE.TaskEither<PtraceError, number> {
  return () => attemptAsync(() => run(pid, writes, opts));
}

async function run(pid: number, writes: readonly MemoryWrite[], opts: BulkReadOptions): Promise<number> {
  const chunkSize = opts.chunkSize ?? 4 << 20;
  const depth = Math.max(1, opts.depth ?? 3);
  const chunks: { addr: bigint; bytes: Buffer }[] = [];
  for (const w of writes) {
    // A Buffer view of the caller's bytes: no copy, and an address koffi can hand to the kernel.
    const all = Buffer.from(w.bytes.buffer, w.bytes.byteOffset, w.bytes.byteLength);
    for (let off = 0; off < all.byteLength; off += chunkSize) chunks.push({ addr: w.addr + BigInt(off), bytes: all.subarray(off, off + chunkSize) });
  }
  let next = 0;
  let total = 0;
  const worker = async () => {
    const iov = Buffer.alloc(32);
    while (next < chunks.length) {
      const c = chunks[next++];
      iov.writeBigUInt64LE(addressOf(c.bytes), 0);
      iov.writeBigUInt64LE(BigInt(c.bytes.byteLength), 8);
      iov.writeBigUInt64LE(c.addr, 16);
      iov.writeBigUInt64LE(BigInt(c.bytes.byteLength), 24);
      const put = await new Promise<number>((resolve, reject) =>
        processVmWritev.async(pid, iov, 1, iov.subarray(16), 1, 0, (err: unknown, res: number | bigint) => (err ? reject(err) : resolve(Number(res)))),
      );
      if (put !== c.bytes.byteLength) writeMemoryRaw(pid, c.addr, c.bytes);
      total += c.bytes.byteLength;
    }
  };
  await Promise.all(Array.from({ length: Math.min(depth, chunks.length) }, worker));
  return total;
}
