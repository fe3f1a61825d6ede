import type { MessageValue } from '@criu-ts/images';

/** What a dump measured, as CRIU's stats-dump image counts it (times in µs). */
export interface DumpStats {
  readonly tasks: number;
  readonly threads: number;
  readonly freezingTime: number;
  readonly frozenTime: number;
  readonly memdumpTime: number;
  readonly memwriteTime: number;
  readonly pagesScanned: number;
  readonly pagesWritten: number;
  /** Image files written, by name. */
  readonly images: readonly string[];
}

/** stats_entry.dump as CRIU writes it into stats-dump. */
export function statsEntry(s: Omit<DumpStats, 'images' | 'tasks' | 'threads'>): MessageValue {
  const u32 = (us: number) => Math.min(0xffff_ffff, Math.max(0, Math.round(us)));
  return {
    dump: {
      freezing_time: u32(s.freezingTime),
      frozen_time: u32(s.frozenTime),
      memdump_time: u32(s.memdumpTime),
      memwrite_time: u32(s.memwriteTime),
      pages_scanned: BigInt(s.pagesScanned),
      pages_skipped_parent: 0n,
      pages_written: BigInt(s.pagesWritten),
      irmap_resolve: 0,
      pages_lazy: 0n,
      page_pipes: 0n,
      page_pipe_bufs: 0n,
      shpages_scanned: 0n,
      shpages_skipped_parent: 0n,
      shpages_written: 0n,
    },
  };
}
