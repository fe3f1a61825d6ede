import { Worker } from 'node:worker_threads';
import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import type { PtraceError } from './errors.js';
import type { TracerOps } from './tracer-ops.js';

type RightOf<T> = T extends E.Right<infer A> ? A : never;

export interface TracerOptions {
  /** The built tracer-worker.js; defaults to the one next to this module. */
  readonly workerUrl?: URL;
}

/**
 * A dedicated tracer thread. ptrace stops belong to the thread that seized a task, so every ptrace and
 * waitpid call for a tree must come from one thread; running it in a worker keeps the caller's event
 * loop free while tasks are seized, waited for and driven. Operations run one at a time, in order.
 */
export class Tracer {
  private readonly worker: Worker;
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(opts: TracerOptions) {
    this.worker = new Worker(opts.workerUrl ?? defaultWorkerUrl());
    this.worker.on('message', (msg: { id: number; result?: unknown; crash?: string }) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.crash !== undefined) p.reject(new Error(`tracer worker: ${msg.crash}`));
      else p.resolve(msg.result);
    });
    this.worker.on('error', (e) => {
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    });
    // The worker never holds the process open by itself.
    this.worker.unref();
  }

  static start(opts: TracerOptions = {}): Tracer {
    return new Tracer(opts);
  }

  /** Runs one operation on the tracer thread. */
  call<K extends keyof TracerOps>(op: K, ...args: Parameters<TracerOps[K]>): TE.TaskEither<PtraceError, RightOf<ReturnType<TracerOps[K]>>> {
    return () =>
      new Promise((resolve, reject) => {
        const id = this.next++;
        this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        this.worker.ref();
        this.worker.postMessage({ id, op, args });
      }).finally(() => {
        if (this.pending.size === 0) this.worker.unref();
      }) as Promise<E.Either<PtraceError, RightOf<ReturnType<TracerOps[K]>>>>;
  }

  /** Thaws whatever is still frozen and ends the tracer thread (its exit would detach the tracees anyway). */
  async close(): Promise<void> {
    await this.call('thawAll')();
    await this.worker.terminate();
  }
}

function defaultWorkerUrl(): URL {
  // From the built package the worker sits next to this file; from the TypeScript sources (tests) the built one is used.
  return import.meta.url.endsWith('.ts') ? new URL('../dist/tracer-worker.js', import.meta.url) : new URL('./tracer-worker.js', import.meta.url);
}
