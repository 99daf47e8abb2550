// Field errors in the shape and wording of Kubernetes' apimachinery
// `field.Error` (k8s.io/apimachinery/pkg/util/validation/field), so that the
// webhook's answers, the CLI's output and the worker's status messages read
// exactly like the API server's own validation errors.

export type FieldErrorType =
  | 'Invalid'
  | 'Required'
  | 'Forbidden'
  | 'NotSupported'
  | 'Duplicate'
  | 'NotFound'
  | 'TooLong'
  | 'TooMany'
  | 'Internal';

export interface FieldError {
  type: FieldErrorType;
  /** Field path in Kubernetes notation: `spec.trafficSplit[0].weight`, `metadata.annotations[a/b]`. */
  field: string;
  /** The offending value. Not rendered for Required, Forbidden, TooLong and Internal. */
  value?: unknown;
  /** Human explanation: what is allowed. For NotSupported, use `supportedValues()`. */
  detail?: string;
  /** Stable rule id for metrics and logs, e.g. `gdp.traffic-split.cluster-member`. */
  rule: string;
}

/** The `type` part as apimachinery prints it. */
export const TYPE_TEXT: Record<FieldErrorType, string> = {
  Invalid: 'Invalid value',
  Required: 'Required value',
  Forbidden: 'Forbidden',
  NotSupported: 'Unsupported value',
  Duplicate: 'Duplicate value',
  NotFound: 'Not found',
  TooLong: 'Too long',
  TooMany: 'Too many',
  Internal: 'Internal error',
};

/** `metav1.CauseType` for each error type (the `reason` of a `details.causes[]` entry). */
export const CAUSE_REASON: Record<FieldErrorType, string> = {
  Invalid: 'FieldValueInvalid',
  Required: 'FieldValueRequired',
  Forbidden: 'FieldValueForbidden',
  NotSupported: 'FieldValueNotSupported',
  Duplicate: 'FieldValueDuplicate',
  NotFound: 'FieldValueNotFound',
  TooLong: 'FieldValueTooLong',
  TooMany: 'FieldValueTooMany',
  Internal: 'InternalError',
};

const VALUELESS: ReadonlySet<FieldErrorType> = new Set(['Required', 'Forbidden', 'TooLong', 'Internal']);

/** Renders a bad value the way Go's fmt does for the common JSON types: strings quoted, numbers and booleans bare. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    // JSON.stringify recurses: a value nested thousands of levels deep overflows the stack.
    return Array.isArray(value) ? '[nested too deeply to print]' : '{nested too deeply to print}';
  }
}

/** The message without the field path (what goes into `details.causes[].message`). */
export function formatErrorBody(e: FieldError): string {
  let s = TYPE_TEXT[e.type];
  if (!VALUELESS.has(e.type) && e.value !== undefined) s += `: ${formatValue(e.value)}`;
  if (e.detail) s += `: ${e.detail}`;
  return s;
}

/** `spec.ttl: Invalid value: 0: must be between 1 and 86400` */
export function formatFieldError(e: FieldError): string {
  return `${e.field}: ${formatErrorBody(e)}`;
}

/** `text`, or its first `max - 3` characters and `...`. */
export function clipText(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}

/** Limits for formatAggregate: characters of each error, and of the whole list. */
export interface AggregateBounds {
  maxItemChars: number;
  maxChars: number;
}

/**
 * Aggregate rendering of utilerrors.Aggregate: one error bare, several in `[a, b]`; duplicates
 * dropped. With bounds, each error is clipped and the list stops before it would pass
 * `maxChars`, ending with `and N more errors`; errors past that point are counted, not
 * formatted (so N may count a duplicate of one listed).
 */
export function formatAggregate(errors: readonly FieldError[], bounds?: AggregateBounds): string {
  if (!bounds) {
    const msgs = [...new Set(errors.map(formatFieldError))];
    return msgs.length === 1 ? msgs[0]! : `[${msgs.join(', ')}]`;
  }
  const shown = new Set<string>();
  let text = '';
  let i = 0;
  for (; i < errors.length; i++) {
    const m = clipText(formatFieldError(errors[i]!), bounds.maxItemChars);
    if (shown.has(m)) continue;
    if (shown.size > 0 && text.length + m.length + 2 > bounds.maxChars) break;
    text += shown.size ? `, ${m}` : m;
    shown.add(m);
  }
  const rest = errors.length - i;
  if (rest === 0) return shown.size === 1 ? text : `[${text}]`;
  return `[${text}, and ${rest} more errors]`;
}

/** `supported values: "a", "b"` (the detail of a NotSupported error). */
export function supportedValues(values: readonly string[]): string {
  return `supported values: ${values.map((v) => JSON.stringify(v)).join(', ')}`;
}

/** Field path helpers: `child('spec', 'ttl')`, `index('spec.trafficSplit', 0)`, `key('metadata.annotations', 'a/b')`. */
export function child(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}
export function index(path: string, i: number): string {
  return `${path}[${i}]`;
}
export function key(path: string, k: string): string {
  return `${path}[${k}]`;
}

// Constructors, mirroring field.Invalid / field.Required / ...
export const invalid = (field: string, value: unknown, detail: string, rule: string): FieldError => ({
  type: 'Invalid',
  field,
  value,
  detail,
  rule,
});
export const required = (field: string, detail: string | undefined, rule: string): FieldError =>
  detail ? { type: 'Required', field, detail, rule } : { type: 'Required', field, rule };
export const forbidden = (field: string, detail: string, rule: string): FieldError => ({
  type: 'Forbidden',
  field,
  detail,
  rule,
});
export const notSupported = (field: string, value: unknown, values: readonly string[], rule: string): FieldError => ({
  type: 'NotSupported',
  field,
  value,
  detail: supportedValues(values),
  rule,
});
export const duplicate = (field: string, value: unknown, rule: string, detail?: string): FieldError =>
  detail ? { type: 'Duplicate', field, value, detail, rule } : { type: 'Duplicate', field, value, rule };
export const notFound = (field: string, value: unknown, detail: string, rule: string): FieldError => ({
  type: 'NotFound',
  field,
  value,
  detail,
  rule,
});
