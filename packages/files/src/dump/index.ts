export { TreeFiles } from './tree-files.js';
export { FileTable, FD_TYPES, NO_OWNER } from './file-table.js';
export { classifyFd } from './classify.js';
export { readOpenFd, fdinfoField } from './open-fd.js';
export type { OpenFd } from './open-fd.js';
export type { FdDumper, FdDumpContext, KindImage } from './fd-dumper.js';
export { peekPipe } from './pipe-data.js';
export type { PipeContents } from './pipe-data.js';
export { withStolenFd } from './stolen-fd.js';
