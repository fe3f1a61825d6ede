/**
 * Runs a dump or a restore on a dedicated tracer thread. ptrace stops belong to the thread that
 * seized a task, so a whole job runs on one worker thread, synchronously, while the caller's event
 * loop stays free (for progress output, signals, timeouts). Log lines come back as they happen.
 */
import { constants as osConstants } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Either } from 'fp-ts/lib/Either.js';
import { interrupt, newInterrupt } from './interrupt.js';

export type JobName = 'dump' | 'restore';

export interface JobMessage {
  readonly log?: { level: number; message: string };
  readonly result?: Either<unknown, unknown>;
  readonly crash?: string;
}

/**
 * `signal`, once aborted, stops the job at its next step (see interrupt.ts); its reason may name the
 * signal that asked ("SIGINT").
 */
export function runOnTracerThread<E, A>(job: JobName, options: object, log: (level: number, message: string) => void, signal?: AbortSignal): Promise<Either<E, A>> {
  return new Promise((resolve, reject) => {
    const flag = newInterrupt();
    const onAbort = () => interrupt(flag, (osConstants.signals as Record<string, number>)[String(signal?.reason)] ?? -1);
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const worker = new Worker(jobUrl(), { workerData: { job, options: { ...options, interrupt: flag } } });
    worker.on('exit', () => signal?.removeEventListener('abort', onAbort));
    let settled = false;
    worker.on('message', (message: JobMessage) => {
      if (message.log) log(message.log.level, message.log.message);
      if (message.result) {
        settled = true;
        resolve(message.result as Either<E, A>);
      }
      if (message.crash) {
        settled = true;
        reject(new Error(message.crash));
      }
    });
    worker.on('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`the tracer thread exited (${code}) before finishing the ${job}`));
    });
  });
}

function jobUrl(): URL {
  // Built, the job module sits next to this one; from the TypeScript sources (tests) the built one is used.
  return import.meta.url.endsWith('.ts') ? new URL('../dist/tracer-job.js', import.meta.url) : new URL('./tracer-job.js', import.meta.url);
}
