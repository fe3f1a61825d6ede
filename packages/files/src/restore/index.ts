export { closeInheritedFds, closePipes, restoreFds, restoreFs } from './files.js';
export type { PipeTable } from './files.js';
