import type { MessageValue } from '@criu-ts/images';
import { peekPendingSignals } from '@criu-ts/ptrace';
import { must } from '@criu-ts/subsystem';

/**
 * The signals queued for a frozen thread (or, with `shared`, for its whole process) as a
 * signal_queue_entry: each one's siginfo as the kernel keeps it, so a restore queues them again
 * with their data (a real-time signal sent three times comes back three times).
 */
export function pendingSignals(tid: number, shared: boolean, step: string): MessageValue {
  const signals = must(step, tid, peekPendingSignals(tid, shared));
  return signals.length === 0 ? {} : { signals: signals.map((siginfo) => ({ siginfo })) };
}
