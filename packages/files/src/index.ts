export * from './dump/index.js';
