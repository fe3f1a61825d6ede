export { closeInheritedFds, restoreFds } from './fds.js';
export { restoreFs } from './fs.js';
export { RestoredFiles } from './restored-files.js';
export type { FilesRestoreOptions } from './files-restore-options.js';
export { installFds } from './install-fds.js';
export type { FdToInstall } from './install-fds.js';
export type { FdRestorer } from './fd-restorer.js';
