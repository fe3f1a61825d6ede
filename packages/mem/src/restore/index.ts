export { chooseHelperAddress, dropDonorMappings, moveVdso, restoreMmStruct, restoreVmas } from './address-space.js';
export type { DeletedFileOpener } from './address-space.js';
export { ShmemTable, mapSharedMemory } from './shmem.js';
