import type { MessageValue } from '@criu-ts/images';

/** What a dump measured, as CRIU's stats-dump image counts it (times in µs). */
export interface DumpStats {
  readonly tasks: number;
  readonly threads: number;
  readonly freezingTime: number;
  readonly frozenTime: number;
  readonly memdumpTime: number;
  readonly memwriteTime: number;
  /** The tasks' own (private) pages. */
  readonly pagesScanned: number;
  readonly pagesWritten: number;
  /**
   * Shared memory objects' pages, each object counted once. pages_written and shpages_written add
   * up to the size of the pages images (zdtm.py checks it).
   */
  readonly shpagesScanned: number;
  readonly shpagesWritten: number;
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
      shpages_scanned: BigInt(s.shpagesScanned),
      shpages_skipped_parent: 0n,
      shpages_written: BigInt(s.shpagesWritten),
    },
  };
}
