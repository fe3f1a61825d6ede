export { closeInheritedFds, restoreFds } from './fds.js';
export { restoreFs } from './fs.js';
export { RestoredFiles } from './restored-files.js';
export type { FilesRestoreOptions } from './files-restore-options.js';
export { installFds } from './install-fds.js';
export type { FdToInstall } from './install-fds.js';
export type { FdRestorer, ShmemFds } from './fd-restorer.js';
export { readFileLocks, restoreFileLocks } from './file-locks.js';
export type { FileLocksByTask } from './file-locks.js';
