/**
 * The library form of criu-ts (what libcriu is to CRIU): dump, restore and check, typed, as
 * TaskEithers. Each dump and restore runs on its own tracer thread.
 */
import type { TaskEither } from 'fp-ts/lib/TaskEither.js';
import { type DumpError, type DumpStats, type DumpTreeOptions } from './dump.js';
import { checkKernel, type CheckReport } from './check.js';
import { checkFeature as probeFeature, type FeatureMissing } from './check-feature.js';
import type { RestoreError } from '@criu-ts/subsystem';
import type { RestoreTreeOptions, RestoreTreeResult } from './restore/restore-tree.js';
import { runOnTracerThread } from './tracer-thread.js';
import { leaveTerminalToRestoredJob } from './restore/terminal-at-exit.js';

export type Log = (level: number, message: string) => void;

/**
 * `signal`: aborted, it stops the dump or restore at its next step, as a failure (the tree runs on as
 * it was; a restore leaves nothing of the tree behind). Once the restored tree runs, it is too late.
 */
export type DumpOptions = Omit<DumpTreeOptions, 'log' | 'interrupt'> & { log?: Log; signal?: AbortSignal };
export type RestoreOptions = Omit<RestoreTreeOptions, 'log' | 'interrupt'> & { log?: Log; signal?: AbortSignal };

/** Checkpoints the tree rooted at `options.pid` into `options.imagesDir`. */
export function dump(options: DumpOptions): TaskEither<DumpError, DumpStats> {
  const { log = () => {}, signal, ...rest } = options;
  return () => runOnTracerThread<DumpError, DumpStats>('dump', rest, log, signal).catch((error: Error) => ({ _tag: 'Left', left: crashAsDumpError(error) }) as const);
}

/** Brings the tree in `options.imagesDir` back with its PIDs. */
export function restore(options: RestoreOptions): TaskEither<RestoreError, RestoreTreeResult> {
  const { log = () => {}, signal, ...rest } = options;
  return async () => {
    const result = await runOnTracerThread<RestoreError, RestoreTreeResult>('restore', rest, log, signal).catch(
      (error: Error) => ({ _tag: 'Left', left: { step: 'restore', message: error.message } }) as const,
    );
    // a shell job now owns our terminal's settings: they must outlive us
    if (result._tag === 'Right' && options.files?.shellJob) leaveTerminalToRestoredJob();
    return result;
  };
}

/** Whether this kernel and machine have what dump and restore use. */
export function check(): TaskEither<string, CheckReport> {
  return async () => checkKernel();
}

/** Whether one of CRIU's features (`check --feature NAME`) is there for criu-ts: a line saying so, or why not. */
export function checkFeature(name: string): TaskEither<FeatureMissing, string> {
  return async () => probeFeature(name);
}

function crashAsDumpError(error: Error): DumpError {
  return { step: 'dump', message: error.message } as DumpError;
}
