// AdmissionReview decoding and the response shapes, matching what
// kube-apiserver sends (admission.k8s.io/v1, v1beta1) and how kubectl renders
// the answers (see test/fixtures/admission/kubectl-output.md).
import { GROUP } from '../api/common.js';
import { CAUSE_REASON, clipText, formatAggregate, formatErrorBody, type FieldError } from '../rules/field-error.js';
import type { PolicyDenial } from '../rules/index.js';

export const ADMISSION_VERSIONS = ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'] as const;
export type AdmissionVersion = (typeof ADMISSION_VERSIONS)[number];

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  resource?: { group: string; version: string; resource: string };
  /** "status" for a status write (our kinds have no other subresource); a forged body may carry anything. */
  subResource?: unknown;
  name?: string;
  namespace?: string;
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  userInfo?: unknown;
  object?: unknown;
  oldObject?: unknown;
  dryRun?: boolean;
  options?: unknown;
}

export interface StatusCause {
  reason: string;
  message: string;
  field: string;
}

export interface Status {
  status?: 'Failure';
  code: number;
  reason: string;
  message: string;
  details?: { name: string; group: string; kind: string; causes?: StatusCause[] };
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: Status;
  warnings?: string[];
  patchType?: 'JSONPatch';
  patch?: string;
}

export interface AdmissionReviewResponse {
  apiVersion: AdmissionVersion;
  kind: 'AdmissionReview';
  response: AdmissionResponse;
}

export class BadRequest extends Error {}

/** Checks the envelope; throws BadRequest with a precise message. */
export function decodeReview(body: unknown): { version: AdmissionVersion; request: AdmissionRequest } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new BadRequest('body must be a JSON object');
  const b = body as Record<string, unknown>;
  if (b.kind !== 'AdmissionReview') throw new BadRequest('kind must be AdmissionReview');
  if (!ADMISSION_VERSIONS.includes(b.apiVersion as AdmissionVersion)) {
    throw new BadRequest(`apiVersion must be one of ${ADMISSION_VERSIONS.join(', ')}`);
  }
  const r = b.request;
  if (r === null || typeof r !== 'object' || Array.isArray(r)) throw new BadRequest('request is missing');
  const req = r as Record<string, unknown>;
  if (typeof req.uid !== 'string' || req.uid === '') throw new BadRequest('request.uid is missing');
  const kind = req.kind as Record<string, unknown> | undefined;
  if (!kind || typeof kind !== 'object' || typeof kind.kind !== 'string') throw new BadRequest('request.kind is missing');
  if (typeof req.operation !== 'string') throw new BadRequest('request.operation is missing');
  return { version: b.apiVersion as AdmissionVersion, request: req as unknown as AdmissionRequest };
}

export function review(version: AdmissionVersion, response: AdmissionResponse): AdmissionReviewResponse {
  return { apiVersion: version, kind: 'AdmissionReview', response };
}

// An answer stays small whatever the object: 10,000 invalid list entries would otherwise come
// back as a 5 MB denial, which the API server relays whole (it caps only warnings: 4 KiB in
// total). The webhook lists the first MAX_CAUSES causes plus one that counts the rest, clips
// each cause's field and message, and stops the aggregate message at MAX_MESSAGE_CHARS with
// the number left out. `amko validate` prints every error (commands/validate.ts).

/** Causes listed in one answer; one more cause says how many were left out. */
export const MAX_CAUSES = 100;
/** Characters of one cause's field path or message, and of the object name (a bad value may be a MiB-long string). */
export const MAX_CAUSE_CHARS = 1024;
/** Characters of the aggregate in Status.message. */
export const MAX_MESSAGE_CHARS = 8192;

/** 422 Invalid, as apierrors.NewInvalid renders it. */
export function invalidStatus(kind: string, objectName: string, errors: readonly FieldError[]): Status {
  const name = clipText(objectName, MAX_CAUSE_CHARS);
  return {
    status: 'Failure',
    code: 422,
    reason: 'Invalid',
    message: `${kind}.${GROUP} ${JSON.stringify(name)} is invalid: ${formatAggregate(errors, MESSAGE_BOUNDS)}`,
    details: { name, group: GROUP, kind, causes: causes(errors) },
  };
}

/** 403 Forbidden, as apierrors.NewForbidden renders it. Field errors found as well are appended, so all come back at once. */
export function forbiddenStatus(resource: string, objectName: string, denial: PolicyDenial, errors: readonly FieldError[]): Status {
  const name = clipText(objectName, MAX_CAUSE_CHARS);
  let message = `${resource}.${GROUP} ${JSON.stringify(name)} is forbidden: ${denial.message}`;
  if (errors.length) message += `; the object is also invalid: ${formatAggregate(errors, MESSAGE_BOUNDS)}`;
  const details: Status['details'] = { name, group: GROUP, kind: resource };
  if (errors.length) details.causes = causes(errors);
  return { status: 'Failure', code: 403, reason: 'Forbidden', message, details };
}

export function internalStatus(message: string): Status {
  return { status: 'Failure', code: 500, reason: 'InternalError', message };
}

function causes(errors: readonly FieldError[]): StatusCause[] {
  const listed = errors.slice(0, MAX_CAUSES).map((e) => ({
    reason: CAUSE_REASON[e.type],
    message: clipText(formatErrorBody(e), MAX_CAUSE_CHARS),
    field: clipText(e.field, MAX_CAUSE_CHARS),
  }));
  const rest = errors.length - listed.length;
  if (rest > 0) listed.push({ reason: 'TooManyErrors', message: `${rest} more errors not listed`, field: '<root>' });
  return listed;
}

const MESSAGE_BOUNDS = { maxItemChars: MAX_CAUSE_CHARS, maxChars: MAX_MESSAGE_CHARS };

/** A Kubernetes-style JSON error body for HTTP-level failures (400, 404). */
export function httpStatusBody(code: number, reason: string, message: string) {
  return { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message };
}

export type Webhook = 'validate' | 'mutate';

/** An answer to POST /validate or /mutate: HTTP status and the JSON body. */
export interface Reply {
  status: number;
  body: unknown;
}

/** "request body larger than the limit of …": the 400 message for an oversized body. */
export function tooLargeMessage(bodyLimit: string | number): string {
  return `request body larger than the limit of ${typeof bodyLimit === 'number' ? `${bodyLimit} bytes` : bodyLimit}`;
}
