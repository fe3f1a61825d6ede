export * from './dump/index.js';
export * from './restore/index.js';
