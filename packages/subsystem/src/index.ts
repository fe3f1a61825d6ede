export { DumpFault, attempt, refuse, must } from './dump-fault.js';
export type { DumpFaultInfo } from './dump-fault.js';
export type { DumpRemote } from './dump-remote.js';
export { RemoteTask, HELPER_SIZE } from './remote-task.js';
export { RestoreFault } from './restore-error.js';
export type { RestoreError } from './restore-error.js';
export { readRestorePlan, shmidOfVma } from './restore-plan.js';
export type { PipeQueue, RestorePlan, TaskPlan, ShmemPlan, ShmemInode } from './restore-plan.js';
