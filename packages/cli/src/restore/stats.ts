import { type Either, left, right } from 'fp-ts/lib/Either.js';
import { ImagesDir, type MessageValue } from '@criu-ts/images';
import type { RestorePlan } from '@criu-ts/subsystem';

/** What a restore measured, as CRIU's stats-restore image counts it (times in µs). */
export interface RestoreStats {
  /** From the start of the restore until every task of the tree exists. */
  readonly forkingTime: number;
  /** From the start of the restore until every task runs on. */
  readonly restoreTime: number;
  /** Pages read back from the pages images. */
  readonly pagesRestored: number;
}

/**
 * Writes stats-restore into the images directory, as CRIU does after a restore. pages_compared and
 * pages_skipped_cow count CRIU's sharing of unchanged pages with a parent image on restore, which
 * criu-ts does not do: they are 0.
 */
export function writeRestoreStats(plan: RestorePlan, times: { forkingTime: number; restoreTime: number }): Either<string, RestoreStats> {
  const stats: RestoreStats = { ...times, pagesRestored: pagesInPlan(plan) };
  const dir = ImagesDir.open(plan.imagesDir);
  if (dir._tag === 'Left') return left(`stats-restore: ${dir.left.message}`);
  const written = dir.right.write('stats-restore', { magic: 'STATS', entries: [{ message: restoreStatsEntry(stats), type: 'stats_entry' }] });
  return written._tag === 'Left' ? left(`stats-restore: ${written.left.message}`) : right(stats);
}

/** stats_entry.restore as CRIU writes it into stats-restore. */
export function restoreStatsEntry(s: RestoreStats): MessageValue {
  const u32 = (us: number) => Math.min(0xffff_ffff, Math.max(0, Math.round(us)));
  return {
    restore: {
      pages_compared: 0n,
      pages_skipped_cow: 0n,
      forking_time: u32(s.forkingTime),
      restore_time: u32(s.restoreTime),
      pages_restored: BigInt(s.pagesRestored),
    },
  };
}

/** Every page the pages images hold for the tree: each task's own and the shared memory objects'. */
function pagesInPlan(plan: RestorePlan): number {
  let pages = 0;
  for (const task of plan.tasks) for (const range of task.pageRanges) if (range.pagesOffset !== undefined) pages += range.nrPages;
  for (const object of plan.shmem.values()) for (const range of object.ranges) if (range.pagesOffset !== undefined) pages += range.nrPages;
  return pages;
}
