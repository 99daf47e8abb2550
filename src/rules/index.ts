// The rules: pure functions from (object, context) to field errors, policy
// denials and warnings, and to a defaulted copy. The admission webhook, the
// offline CLI and the reconcile worker all call these; nothing here does I/O.
import type { Operation as PatchOperation } from 'fast-json-patch';
import { AMKO_NAMESPACE } from '../api/common.js';
import type { KindName } from '../api/kinds.js';
import { CATALOGUE } from './catalogue.js';
import { isObj, obj, str, warning } from './checks.js';
import type { FieldError } from './field-error.js';
import { compare } from './patch.js';
import { validateSchema } from './schema.js';
import { nameOf, namespaceOf, othersInNamespace } from './shared.js';
import type { KindContext, RuleContext } from './types.js';

export { defaults, defaultsShared, DEFAULTS, type DefaultsContext } from './defaults.js';
export type { RuleContext, Operation } from './types.js';
export type { FieldError } from './field-error.js';
export type { ClusterView, KubeObject } from './view.js';

/** A policy denial (HTTP 403 Forbidden): wrong namespace, second singleton. */
export interface PolicyDenial {
  /** The reason, without the `<resource> "<name>" is forbidden: ` prefix the admission layer adds. */
  message: string;
  rule: string;
  field: string;
}

export interface ValidationResult {
  errors: FieldError[];
  forbidden?: PolicyDenial;
  warnings: string[];
}

export const NO_VIEW_WARNING = warning('metadata.name', 'cross-object checks skipped: amko has no cluster connection');

/** Validates one object of `kind`. All problems are collected; nothing throws on malformed input. */
export function validate(kind: KindName, input: unknown, ctx: RuleContext = {}): ValidationResult {
  const operation = ctx.operation ?? 'CREATE';
  const warnings: string[] = [];
  if (operation === 'DELETE' || operation === 'CONNECT') return { errors: [], warnings };

  const o = isObj(input) ? input : {};
  const meta = obj(o.metadata);
  const kctx: KindContext = {
    operation,
    oldObject: ctx.oldObject,
    view: ctx.view,
    name: ctx.name ?? str(meta?.name) ?? '',
    namespace: ctx.namespace ?? str(meta?.namespace) ?? '',
  };

  const errors = validateSchema(kind, input, { unknownFields: ctx.unknownFields ?? 'ignore' });
  for (const rule of CATALOGUE[kind].rules) rule.check(o, kctx, errors, warnings);

  sortByDocumentOrder(errors, input);

  let forbidden: PolicyDenial | undefined;
  if (kctx.namespace !== AMKO_NAMESPACE) {
    if (kctx.namespace === '') {
      warnings.push(warning('metadata.namespace', `not set; ${kind} objects are only accepted in namespace ${AMKO_NAMESPACE}`));
    } else {
      forbidden = {
        message: `${kind} objects are only accepted in namespace ${AMKO_NAMESPACE}`,
        rule: 'namespace',
        field: 'metadata.namespace',
      };
    }
  }
  if (!forbidden && CATALOGUE[kind].singleton && operation === 'CREATE' && ctx.view) {
    const existing = othersInNamespace(ctx.view, kind, { ...kctx, namespace: AMKO_NAMESPACE });
    if (existing.length > 0) {
      const names = existing.map((e) => `${namespaceOf(e)}/${nameOf(e)}`).join(', ');
      forbidden = {
        message: `only one ${kind} is allowed, and ${names} already exists`,
        rule: 'singleton',
        field: 'metadata.name',
      };
    }
  }
  if (!ctx.view) warnings.unshift(NO_VIEW_WARNING);
  return forbidden ? { errors, forbidden, warnings } : { errors, warnings };
}

const MAP_FIELDS = new Set(['labels', 'annotations', 'label']);
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The field path without its last segment: `a.b[2]` -> `a.b`, `a.b` -> `a`, `m[k]` -> `m`; a path
 * with nothing to remove comes back unchanged. String scans, not a `(…)$` regular expression,
 * which backtracks over every start position (seconds for 100,000 errors).
 */
function parentOf(f: string): string {
  if (f.endsWith(']')) {
    // The segment opens at the first '[' after the previous ']' (a key may contain '[').
    const open = f.indexOf('[', f.lastIndexOf(']', f.length - 2) + 1);
    return open === -1 ? f : f.slice(0, open);
  }
  const dot = f.lastIndexOf('.');
  return dot === -1 || f.indexOf('[', dot) !== -1 || f.indexOf(']', dot) !== -1 ? f : f.slice(0, dot);
}

/**
 * Errors beyond which sortByDocumentOrder leaves them in the order found (schema errors, then
 * each rule's, each in document order). Ordering costs microseconds per error and per node on
 * the way to one: 100,000 errors in a 2.4 MiB body took about a second of CPU.
 */
const MAX_SORTED_ERRORS = 1_000;

/** Sorts errors (stably) by where their field appears in the object, so output follows the manifest. */
function sortByDocumentOrder(errors: FieldError[], input: unknown): void {
  // Nothing to order: skip walking the whole object (every allowed request).
  if (errors.length < 2 || errors.length > MAX_SORTED_ERRORS) return;
  // Only the nodes on the way to an error field need a position: walk just those, without
  // recursion, so a deeply nested or huge body costs neither the stack nor quadratic path strings.
  const needed = new Set<string>();
  for (const e of errors) {
    for (let f = e.field; f && !needed.has(f); f = parentOf(f)) {
      needed.add(f);
      if (!/[.[]/.test(f)) break;
    }
  }
  const pos = new Map<string, number>();
  let n = 0;
  const stack: Array<[unknown, string, string]> = [[input, '', '']];
  while (stack.length) {
    const [v, path, parentKey] = stack.pop()!;
    pos.set(path, n++);
    // Only the kids on the way to an error, in document order (pushed in reverse: popped first to last).
    const kids: Array<[unknown, string, string]> = [];
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const p = `${path}[${i}]`;
        if (needed.has(p)) kids.push([v[i], p, '']);
      }
    } else if (isObj(v)) {
      const asMap = MAP_FIELDS.has(parentKey);
      for (const k of Object.keys(v)) {
        const p = asMap || !IDENT.test(k) ? `${path}[${k}]` : path ? `${path}.${k}` : k;
        if (needed.has(p)) kids.push([v[k], p, k]);
      }
    }
    for (let j = kids.length - 1; j >= 0; j--) stack.push(kids[j]!);
  }
  const positionOf = (field: string): number => {
    for (let f = field; f; f = parentOf(f)) {
      const p = pos.get(f);
      if (p !== undefined) return f === field ? p : p + 0.5;
      if (!/[.[]/.test(f)) break;
    }
    return Number.MAX_SAFE_INTEGER;
  };
  const keyed = errors.map((e, i) => ({ e, i, p: positionOf(e.field) }));
  keyed.sort((a, b) => a.p - b.p || a.i - b.i);
  // In place: spreading 100k+ errors as call arguments would overflow the stack.
  keyed.forEach((k, i) => (errors[i] = k.e));
}

/** RFC 6902 operations turning `original` into `defaulted` (empty when nothing changed). */
export function patchFor(original: unknown, defaulted: unknown): PatchOperation[] {
  // fast-json-patch's compare() semantics, without its recursion (deeply nested bodies).
  return compare(original, defaulted);
}

/** Distinct rule ids of a result, for metrics and logs. */
export function ruleIds(result: ValidationResult): string[] {
  const ids = result.errors.map((e) => e.rule);
  if (result.forbidden) ids.unshift(result.forbidden.rule);
  return [...new Set(ids)];
}

export { validateSchema } from './schema.js';
export { formatFieldError, formatAggregate, formatErrorBody, CAUSE_REASON } from './field-error.js';
export { staticView, overlayView } from './view.js';
