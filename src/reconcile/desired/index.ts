export * from './healthmonitors.js';
export * from './gslbservice.js';
