export { collectVmas, VMA, MAP } from './vmas.js';
export type { Vma, MappedFiles } from './vmas.js';
export { mmRemoteState, mmEntry } from './mm.js';
export type { MmRemoteState } from './mm.js';
export { dumpPages } from './pages.js';
export type { PagesOptions, PagesResult, SelfWriter } from './pages.js';
export { SharedMemory } from './shmem.js';
export type { ShmemObject, ShmemPagesResult } from './shmem.js';
