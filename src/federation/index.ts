export * from './conditions.js';
export * from './copy.js';
export * from './validate-members.js';
export * from './role.js';
export * from './federator.js';
export { AmkoObjects, customObjectInformerArgs, errorText, statusCode, withTimeout } from './kube.js';
