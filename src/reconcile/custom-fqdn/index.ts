// Custom global FQDNs (GSLBConfig useCustomGlobalFqdn) and HostRule aliases through AKO HostRules.
export * from './mapping.js';
export * from './hostrules.js';
