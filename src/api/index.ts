export * from './common.js';
export * from './gslbconfig.js';
export * from './gdp.js';
export * from './gslbhostrule.js';
export * from './amkocluster.js';
export * from './kinds.js';
