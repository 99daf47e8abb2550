export * from './types.js';
export { AviClient, withQuery, nextPath, type AviClientOptions, type AviRequestOptions, type AviPage, type QueryValue } from './client.js';
export { AviError, AVI_MESSAGES, AVI_RETRY, classifyAviError, controllerMessage, isAviError, type AviErrorInit } from './errors.js';
export { AviSession, parseSetCookie, type RawRequest, type RawResponse, type Transport } from './session.js';
