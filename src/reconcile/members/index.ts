export * from './types.js';
export * from './selection.js';
export * from './derive.js';
