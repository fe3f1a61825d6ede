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
export { becomeZombie, zombieStatus } from './zombie.js';
