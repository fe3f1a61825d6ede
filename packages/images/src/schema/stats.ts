import { message, optional, required, type SchemaFile } from './define.js';

/** Timings and page counters of a dump or restore run (CRIU `stats.proto`). */
export const statsSchema: SchemaFile = {
  dump_stats_entry: message({
    freezing_time: required(1, 'uint32'),
    frozen_time: required(2, 'uint32'),
    memdump_time: required(3, 'uint32'),
    memwrite_time: required(4, 'uint32'),
    pages_scanned: required(5, 'uint64'),
    pages_skipped_parent: required(6, 'uint64'),
    pages_written: required(7, 'uint64'),
    irmap_resolve: optional(8, 'uint32'),
    pages_lazy: required(9, 'uint64'),
    page_pipes: optional(10, 'uint64'),
    page_pipe_bufs: optional(11, 'uint64'),
    shpages_scanned: optional(12, 'uint64'),
    shpages_skipped_parent: optional(13, 'uint64'),
    shpages_written: optional(14, 'uint64'),
  }),
  restore_stats_entry: message({
    pages_compared: required(1, 'uint64'),
    pages_skipped_cow: required(2, 'uint64'),
    forking_time: required(3, 'uint32'),
    restore_time: required(4, 'uint32'),
    pages_restored: optional(5, 'uint64'),
  }),
  stats_entry: message({
    dump: optional(1, 'dump_stats_entry'),
    restore: optional(2, 'restore_stats_entry'),
  }),
};
