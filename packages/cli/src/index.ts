export { dump, restore, check } from './api.js';
export type { DumpOptions, RestoreOptions, Log } from './api.js';
export { dumpTree, DUMP_STEPS } from './dump.js';
export type { DumpTreeOptions, DumpError, DumpStats } from './dump.js';
export type { RestoreError } from '@criu-ts/subsystem';
export type { RestoreTreeOptions, RestoreTreeResult } from './restore/restore-tree.js';
export type { CheckReport } from './check.js';
export { parseOptions, OptionError } from './options.js';
export type { CliOptions } from './options.js';
