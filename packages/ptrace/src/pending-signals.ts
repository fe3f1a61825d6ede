import * as E from 'fp-ts/lib/Either.js';
import { PTRACE } from './constants.js';
import { attempt } from './either.js';
import type { PtraceError } from './errors.js';
import { addressOf, kbuf, keepAlive } from './libc.js';
import { ptrace } from './ptrace-request.js';

/** sizeof(siginfo_t) on every Linux arch. */
export const SIGINFO_SIZE = 128;
const PTRACE_PEEKSIGINFO_SHARED = 1;
const BATCH = 32;

/**
 * The signals queued for a stopped thread, oldest first, as raw siginfo_t (128 bytes each), without
 * dequeuing them (PTRACE_PEEKSIGINFO): the thread's own queue, or with `shared` its process's.
 */
export function peekPendingSignals(tid: number, shared: boolean): E.Either<PtraceError, Uint8Array[]> {
  return attempt(() => {
    const out: Uint8Array[] = [];
    const args = kbuf(16);
    const buf = kbuf(SIGINFO_SIZE * BATCH);
    for (;;) {
      // struct ptrace_peeksiginfo_args { u64 off; u32 flags; s32 nr; }
      args.writeBigUInt64LE(BigInt(out.length), 0);
      args.writeUInt32LE(shared ? PTRACE_PEEKSIGINFO_SHARED : 0, 8);
      args.writeInt32LE(BATCH, 12);
      const n = ptrace(PTRACE.PEEKSIGINFO, tid, addressOf(args), addressOf(buf));
      keepAlive(args, buf);
      for (let i = 0; i < n; i++) out.push(new Uint8Array(buf.subarray(i * SIGINFO_SIZE, (i + 1) * SIGINFO_SIZE)));
      if (n < BATCH) return out;
    }
  });
}
