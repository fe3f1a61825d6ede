/** The tracer thread's side of runOnTracerThread: run the job, report logs and the result. */
import { parentPort, workerData } from 'node:worker_threads';
import type { JobMessage, JobName } from './tracer-thread.js';
import { restoreTree, type RestoreTreeOptions } from './restore/restore-tree.js';
import { dumpTree, type DumpTreeOptions } from './dump.js';

const { job, options } = workerData as { job: JobName; options: object };
const post = (message: JobMessage) => parentPort!.postMessage(message);
const log = (level: number, message: string) => post({ log: { level, message } });

try {
  const result =
    job === 'restore'
      ? restoreTree({ ...(options as RestoreTreeOptions), log })
      : dumpTree({ ...(options as DumpTreeOptions), log });
  post({ result });
} catch (error) {
  post({ crash: error instanceof Error ? (error.stack ?? error.message) : String(error) });
}
