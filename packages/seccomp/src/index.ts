export { SeccompImage } from './dump/seccomp-image.js';
export type { ThreadSeccomp } from './dump/seccomp-image.js';
export { readSeccompPlan } from './restore/seccomp-plan.js';
export type { FilterPlan, SeccompPlan, ThreadSeccompPlan } from './restore/seccomp-plan.js';
export { restoreSeccomp } from './restore/install-seccomp.js';
