export { TreeFiles } from './tree-files.js';
export { FileTable, FD_TYPES } from './file-table.js';
export { classifyFd, fdinfoFields } from './fd-kind.js';
export type { FdKind } from './fd-kind.js';
export { peekPipe } from './pipe-data.js';
export type { PipeContents } from './pipe-data.js';
