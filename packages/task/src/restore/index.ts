export { cloneWithId } from './clone-task.js';
export type { CloneKind } from './clone-task.js';
export {
  blockedMask,
  restoreComm,
  restoreItimers,
  restorePendingSignals,
  restoreRlimits,
  restoreSigactions,
  restoreThreadState,
} from './task-state.js';
export { restorePosixTimers } from './posix-timers.js';
export { restoreSched } from './sched.js';
export { restoreCreds, restoreDumpable } from './creds.js';
export { restoreTaskAttrs } from './task-attrs.js';
export { becomeZombie, zombieStatus } from './zombie.js';
