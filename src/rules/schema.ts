// Structural validation against the TypeBox schemas in src/api, with ajv's
// errors translated into Kubernetes field errors and wording:
//   minimum+maximum -> Invalid value: 25: must be between 1 and 20
//   enum            -> Unsupported value: "X": supported values: "a", "b"
//   required / ""   -> Required value
//   unknown field   -> Forbidden: field not declared in schema   (only with unknownFields: 'error')
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import * as ajvFormats from 'ajv-formats';
import { KINDS, type KindName } from '../api/kinds.js';
import { TYPE_TEXT, supportedValues, type FieldError } from './field-error.js';

export interface SchemaOptions {
  /** 'error' in the offline CLI (kubectl --validate=strict); 'ignore' in the webhook (the API server prunes). */
  unknownFields: 'error' | 'ignore';
}

/** Vendor keywords the CRD generator may add to the schemas; ajv must not trip over them. */
const KUBERNETES_KEYWORDS = [
  'x-kubernetes-validations',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-int-or-string',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
];

function newAjv(): Ajv {
  // strictNumbers: NaN and ±Infinity are no numbers (JSON has none; 1e309 parses to Infinity and
  // would otherwise pass `integer` and every bound-less number). `strict: false` would turn it off.
  const ajv = new Ajv({ allErrors: true, strict: false, strictNumbers: true, verbose: true });
  for (const keyword of KUBERNETES_KEYWORDS) ajv.addKeyword({ keyword, schemaType: ['array', 'boolean', 'string', 'object'] });
  const addFormats = ((ajvFormats as unknown as { default?: unknown }).default ?? ajvFormats) as (a: Ajv) => Ajv;
  addFormats(ajv);
  return ajv;
}

let compiled: Map<KindName, ValidateFunction> | undefined;
/**
 * Compiles the validators of every kind once (a few hundred ms of CPU). The reconcile worker calls it when
 * a term starts, while it waits for Avi and the member clusters, so that the GDP's first validation,
 * right before the first Avi write, does not pay for it.
 */
export function compileSchemas(): Map<KindName, ValidateFunction> {
  if (!compiled) {
    const ajv = newAjv();
    const all = new Map<KindName, ValidateFunction>();
    for (const k of Object.keys(KINDS) as KindName[]) all.set(k, ajv.compile(KINDS[k].schema));
    compiled = all;
  }
  return compiled;
}

/** Whether compileSchemas() has run. */
export function schemasCompiled(): boolean {
  return compiled !== undefined;
}

function validatorFor(kind: KindName): ValidateFunction {
  return compileSchemas().get(kind)!;
}

/** Map-valued fields whose keys are data (labels, annotations): rendered as `labels[key]`. */
const MAP_FIELDS = new Set(['labels', 'annotations', 'label']);
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** JSON pointer (`/spec/trafficSplit/0/weight`) -> Kubernetes path (`spec.trafficSplit[0].weight`). */
export function pointerToPath(pointer: string, data: unknown): string {
  if (!pointer) return '';
  const segments = pointer.slice(1).split('/');
  // Escapes are rare (a key with '/' or '~'); two replacements per segment cost more than the rest.
  if (pointer.includes('~')) for (let i = 0; i < segments.length; i++) segments[i] = segments[i]!.replace(/~1/g, '/').replace(/~0/g, '~');
  let path = '';
  let node: unknown = data;
  let prev = '';
  for (const seg of segments) {
    if (Array.isArray(node)) path += `[${seg}]`;
    else if (MAP_FIELDS.has(prev) || !IDENT.test(seg)) path += `[${seg}]`;
    else path += path ? `.${seg}` : seg;
    node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[seg] : undefined;
    prev = seg;
  }
  return path;
}

function join(path: string, name: string): string {
  if (!IDENT.test(name)) return `${path}[${name}]`;
  return path ? `${path}.${name}` : name;
}

function translate(e: ErrorObject, data: unknown, opts: SchemaOptions): FieldError | undefined {
  const path = pointerToPath(e.instancePath, data);
  // An error on the object itself (e.g. not an object at all) still names a field.
  const at = path || '<root>';
  const parent = (e.parentSchema ?? {}) as Record<string, unknown>;
  const p = e.params as Record<string, unknown>;
  const rule = `schema.${e.keyword}`;
  switch (e.keyword) {
    case 'required':
      return { type: 'Required', field: join(path, String(p.missingProperty)), rule };
    case 'additionalProperties':
      if (opts.unknownFields === 'ignore') return undefined;
      return {
        type: 'Forbidden',
        field: join(path, String(p.additionalProperty)),
        detail: 'field not declared in schema',
        rule: 'schema.unknown-field',
      };
    case 'type':
      return { type: 'Invalid', field: at, value: e.data, detail: `must be of type ${String(p.type)}`, rule };
    case 'minimum':
    case 'maximum': {
      const min = parent.minimum;
      const max = parent.maximum;
      const detail =
        typeof min === 'number' && typeof max === 'number'
          ? `must be between ${min} and ${max}`
          : e.keyword === 'minimum'
            ? `must be greater than or equal to ${String(min)}`
            : `must be less than or equal to ${String(max)}`;
      return { type: 'Invalid', field: at, value: e.data, detail, rule: 'schema.range' };
    }
    case 'enum':
      return {
        type: 'NotSupported',
        field: at,
        value: e.data,
        detail: supportedValues((p.allowedValues as unknown[]).map(String)),
        rule,
      };
    case 'minLength':
      if (p.limit === 1) return { type: 'Required', field: at, rule: 'schema.non-empty' };
      return { type: 'Invalid', field: at, value: e.data, detail: `must be at least ${String(p.limit)} characters long`, rule };
    case 'maxLength':
      return { type: 'TooLong', field: at, detail: `may not be more than ${String(p.limit)} characters`, rule };
    case 'maxItems':
      return { type: 'TooMany', field: at, value: (e.data as unknown[]).length, detail: `must have at most ${String(p.limit)} items`, rule };
    case 'minItems':
      return { type: 'Required', field: at, detail: `must have at least ${String(p.limit)} items`, rule };
    case 'uniqueItems':
      return { type: 'Duplicate', field: `${at}[${String(p.i)}]`, value: (e.data as unknown[])[p.i as number], rule };
    case 'pattern':
      return { type: 'Invalid', field: at, value: e.data, detail: `must match the regular expression '${String(p.pattern)}'`, rule };
    case 'format':
      return { type: 'Invalid', field: at, value: e.data, detail: `must be a valid ${String(p.format)}`, rule };
    default:
      return { type: 'Invalid', field: at, value: e.data, detail: e.message ?? 'is invalid', rule };
  }
}

/** Validates one object of `kind` against its schema. Errors come back in document order, one per field. */
export function validateSchema(kind: KindName, obj: unknown, opts: SchemaOptions = { unknownFields: 'ignore' }): FieldError[] {
  const validate = validatorFor(kind);
  if (validate(obj)) return [];
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const e of validate.errors ?? []) {
    const fe = translate(e, obj, opts);
    if (!fe) continue;
    const id = `${fe.field}\u0000${fe.type}\u0000${fe.detail ?? ''}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(fe);
  }
  return out;
}

export { TYPE_TEXT };
