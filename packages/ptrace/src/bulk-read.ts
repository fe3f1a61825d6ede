import * as TE from 'fp-ts/lib/TaskEither.js';
import { attemptAsync } from './either.js';
import { EFAULT, fail, type PtraceError } from './errors.js';
import { addressOf, processVmReadv } from './libc.js';
import { readMemoryRaw } from './memory.js';

/** A range of another task's memory. */
export interface MemoryRange {
  readonly addr: bigint;
  readonly length: number;
}

export interface BulkReadOptions {
  /** Bytes per process_vm_readv (default 4 MiB: large enough to amortise the call, small enough to stay in cache). */
  readonly chunkSize?: number;
  /** Reads in flight on libuv's thread pool while the sink consumes earlier ones (default 3). */
  readonly depth?: number;
}

/**
 * Receives the bytes of a bulk read in address order. The chunk's buffer is reused once the returned
 * promise (if any) settles: copy what must outlive the call.
 */
export type ChunkSink = (chunk: Uint8Array, addr: bigint) => void | Promise<void>;

/**
 * Copies memory ranges of task `pid` into `sink`, in order, with up to `depth` process_vm_readv calls
 * running on libuv's thread pool (koffi `.async`) while the sink works on the previous chunk, so
 * neither the tracer thread nor the event loop waits on the copy. process_vm_* needs no ptrace stop
 * and no particular thread. A chunk process_vm_readv cannot read (PROT_NONE) is read through
 * /proc/PID/mem on the calling thread instead.
 */
export function readMemoryBulk(pid: number, ranges: readonly MemoryRange[], sink: ChunkSink, opts: BulkReadOptions = {}): TE.TaskEither<PtraceError, number> {
  return () => attemptAsync(() => run(pid, ranges, sink, opts));
}

interface Slot {
  readonly buf: Buffer;
  readonly iov: Buffer;
  pending?: Promise<number>;
  addr: bigint;
  length: number;
}

async function run(pid: number, ranges: readonly MemoryRange[], sink: ChunkSink, opts: BulkReadOptions): Promise<number> {
  const chunkSize = opts.chunkSize ?? 4 << 20;
  const depth = Math.max(1, opts.depth ?? 3);
  const chunks: { addr: bigint; length: number }[] = [];
  for (const r of ranges) {
    for (let off = 0; off < r.length; off += chunkSize) chunks.push({ addr: r.addr + BigInt(off), length: Math.min(chunkSize, r.length - off) });
  }
  const slots: Slot[] = Array.from({ length: Math.min(depth, chunks.length) }, () => ({ buf: Buffer.allocUnsafeSlow(chunkSize), iov: Buffer.alloc(32), addr: 0n, length: 0 }));
  const issue = (slot: Slot, i: number) => {
    const c = chunks[i];
    slot.addr = c.addr;
    slot.length = c.length;
    slot.iov.writeBigUInt64LE(addressOf(slot.buf), 0);
    slot.iov.writeBigUInt64LE(BigInt(c.length), 8);
    slot.iov.writeBigUInt64LE(c.addr, 16);
    slot.iov.writeBigUInt64LE(BigInt(c.length), 24);
    slot.pending = new Promise<number>((resolve, reject) => {
      processVmReadv.async(pid, slot.iov, 1, slot.iov.subarray(16), 1, 0, (err: unknown, res: number | bigint) => (err ? reject(err) : resolve(Number(res))));
    });
  };
  let total = 0;
  for (let i = 0; i < slots.length; i++) issue(slots[i], i);
  for (let i = 0; i < chunks.length; i++) {
    const slot = slots[i % slots.length];
    const got = await slot.pending!;
    let bytes: Uint8Array = slot.buf.subarray(0, slot.length);
    if (got !== slot.length) {
      // errno is not carried back from the thread pool; the synchronous read reports it (or succeeds via /proc/PID/mem).
      bytes = readMemoryRaw(pid, slot.addr, slot.length);
      if (bytes.byteLength !== slot.length) fail('process_vm_readv', pid, EFAULT);
    }
    await sink(bytes, slot.addr);
    total += slot.length;
    if (i + slots.length < chunks.length) issue(slot, i + slots.length);
  }
  return total;
}
