export * from './dump/index.js';
export * from './restore/index.js';
export { NETWORK_LOCK_METHODS, NetworkLock, networkLockMissing, unlockRestored } from './network-lock.js';
export type { LockedConnection, NetworkLockMethod } from './network-lock.js';
