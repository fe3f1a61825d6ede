export { DumpFault, attempt, refuse, must } from './dump-fault.js';
export type { DumpFaultInfo } from './dump-fault.js';
export type { DumpRemote } from './dump-remote.js';
