// AdmissionReview decoding and the response shapes, matching what
// kube-apiserver sends (admission.k8s.io/v1, v1beta1) and how kubectl renders
// the answers (see test/fixtures/admission/kubectl-output.md).
import { GROUP } from '../api/common.js';
import { CAUSE_REASON, formatAggregate, formatErrorBody, type FieldError } from '../rules/field-error.js';
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
  subResource?: string;
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

/** 422 Invalid, as apierrors.NewInvalid renders it. */
export function invalidStatus(kind: string, name: string, errors: readonly FieldError[]): Status {
  return {
    status: 'Failure',
    code: 422,
    reason: 'Invalid',
    message: `${kind}.${GROUP} ${JSON.stringify(name)} is invalid: ${formatAggregate(errors)}`,
    details: { name, group: GROUP, kind, causes: causes(errors) },
  };
}

/** 403 Forbidden, as apierrors.NewForbidden renders it. Field errors found as well are appended, so all come back at once. */
export function forbiddenStatus(resource: string, name: string, denial: PolicyDenial, errors: readonly FieldError[]): Status {
  let message = `${resource}.${GROUP} ${JSON.stringify(name)} is forbidden: ${denial.message}`;
  if (errors.length) message += `; the object is also invalid: ${formatAggregate(errors)}`;
  const details: Status['details'] = { name, group: GROUP, kind: resource };
  if (errors.length) details.causes = causes(errors);
  return { status: 'Failure', code: 403, reason: 'Forbidden', message, details };
}

export function internalStatus(message: string): Status {
  return { status: 'Failure', code: 500, reason: 'InternalError', message };
}

function causes(errors: readonly FieldError[]): StatusCause[] {
  return errors.map((e) => ({ reason: CAUSE_REASON[e.type], message: formatErrorBody(e), field: e.field }));
}

/** A Kubernetes-style JSON error body for HTTP-level failures (400, 404). */
export function httpError(code: number, reason: string, message: string) {
  return { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message };
}
