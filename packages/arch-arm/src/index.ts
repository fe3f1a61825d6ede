export * from './aarch64/index.js';
export * from './arm/index.js';
