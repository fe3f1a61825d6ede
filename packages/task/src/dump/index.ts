export { dumpTaskCores } from './core.js';
export type { TaskCores } from './core.js';
export { dumpThreadCore } from './thread-core.js';
export type { ThreadCore } from './thread-core.js';
export { dumpTaskCore, checkTaskSupported, TASK_STATE } from './task-core.js';
export type { TaskCoreOptions } from './task-core.js';
export { dumpCreds } from './creds.js';
export { pstreeEntries } from './pstree.js';
export { taskIds, inventoryEntry, namespaceIds, checkSameNamespaces } from './ids.js';
