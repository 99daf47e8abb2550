// Property-based tests (fast-check) on the pure rule and defaulting functions:
// for arbitrary JSON of every kind, and for mutations of valid objects,
// - validate() and defaults() never throw,
// - defaulting is idempotent and leaves its input untouched,
// - the mutate patch, applied to the input, gives exactly the defaulted object,
// - a valid object stays valid once defaulted,
// - every denial names at least one field path, in Kubernetes notation.
// numRuns is bounded so CI stays quick; FC_RUNS=<n> raises it for a deeper local run.
import assert from 'node:assert/strict';
import fastJsonPatch from 'fast-json-patch';
import fc from 'fast-check';
import { KIND_NAMES, type KindName } from '../../src/api/kinds.js';
import { defaults, patchFor, validate, type Operation } from '../../src/rules/index.js';
import { formatFieldError } from '../../src/rules/field-error.js';
import { staticView, type KubeObject } from '../../src/rules/view.js';
import { BASES, NEW_UUID } from '../rules/cases.js';

const RUNS = Number(process.env.FC_RUNS ?? 300);
const params = { numRuns: RUNS, seed: process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined };

const kindArb = fc.constantFrom(...KIND_NAMES);
const opArb = fc.constantFrom<Operation>('CREATE', 'UPDATE', 'DELETE', 'CONNECT');
const fixedUuid = () => NEW_UUID;

/** Keys the rules look at, plus prototype-pollution keys, so random objects hit real code paths. */
const KEYS = [
  'apiVersion', 'kind', 'metadata', 'name', 'namespace', 'annotations', 'labels', 'spec', 'status',
  'gslbLeader', 'credentials', 'controllerVersion', 'controllerIP', 'tenant', 'memberClusters', 'clusterContext',
  'refreshInterval', 'logLevel', 'useCustomGlobalFqdn', 'matchRules', 'appSelector', 'namespaceSelector', 'label',
  'matchClusters', 'cluster', 'syncVipOnly', 'trafficSplit', 'weight', 'priority', 'ttl', 'poolAlgorithmSettings',
  'lbAlgorithm', 'hashMask', 'consistentHashMask', 'healthMonitorRefs', 'healthMonitorTemplate', 'sitePersistence',
  'enabled', 'profileRef', 'fqdn', 'thirdPartyMembers', 'site', 'vip', 'publicIP', 'ip', 'downResponse', 'type',
  'fallbackIP', 'isLeader', 'version', 'clusters', 'amko.vmware.com/amko-uuid', '__proto__', 'constructor', 'toString', '',
];

const leafArb = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -1, 1, 20, 21, 86400, 86401, 2 ** 53, -(2 ** 53), 1e308, 0.5),
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(
    '', 'avi-system', 'default', 'cluster1-admin', 'cluster2-admin', 'non-avi-site', 'app.avi.internal', '*.avi.internal',
    '10.10.10.10', '::1', '[::1]:443', 'fe80::1%eth0', 'GSLB_ALGORITHM_ROUND_ROBIN', 'GSLB_ALGORITHM_CONSISTENT_HASH',
    'GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP', 'INFO', 'DEBUG', 'x'.repeat(300), 'a.'.repeat(130), '\u0000', '\ud800',
  ),
);

/** Arbitrary JSON-like values whose object keys lean towards the ones the rules read. */
const jsonish = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArb,
    fc.array(tie('value'), { maxLength: 5 }),
    fc
      .array(fc.tuple(fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 8 })), tie('value')), { maxLength: 6 })
      .map((entries) => {
        // Own properties even for "__proto__", as JSON.parse produces them.
        const o: Record<string, unknown> = {};
        for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
        return o;
      }),
  ),
})).value;

/** Any JSON value, from fast-check's own generator (round-tripped through JSON like a request body). */
const rawJson = fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);

/** A shaped object of `kind`: apiVersion/kind/metadata/spec where spec is random. */
const shapedArb = fc.record({
  apiVersion: fc.oneof(fc.constant('amko.vmware.com/v1alpha1'), fc.constant('amko.vmware.com/v1alpha2'), leafArb),
  metadata: fc.oneof(fc.record({ name: fc.oneof(fc.string(), leafArb), namespace: fc.constantFrom('avi-system', 'default', '') }), jsonish),
  spec: jsonish,
});

/** Paths of every node of a JSON value, as key arrays. */
function paths(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...prefix, i])));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...prefix, k]));
  return out;
}

function setAt(root: any, path: (string | number)[], value: unknown, remove: boolean): unknown {
  if (path.length === 0) return value;
  let cur = root;
  for (const p of path.slice(0, -1)) cur = cur[p];
  const last = path[path.length - 1]!;
  if (remove) {
    if (Array.isArray(cur)) cur.splice(Number(last), 1);
    else delete cur[last];
  } else cur[last] = value;
  return root;
}

/** A valid base object with 1-3 random nodes replaced by random values or removed. */
const mutatedArb = (kind: KindName) =>
  fc
    .array(fc.tuple(fc.nat(), fc.boolean(), jsonish), { minLength: 1, maxLength: 3 })
    .map((edits) => {
      let o: any = structuredClone(BASES[kind]);
      for (const [pick, remove, value] of edits) {
        const ps = paths(o);
        o = setAt(o, ps[pick % ps.length]!, value, remove && ps.length > 1);
      }
      return o as unknown;
    });

const anyInputFor = (kind: KindName) => fc.oneof(rawJson, jsonish, shapedArb.map((s) => ({ ...s, kind })), mutatedArb(kind));

/** A kind, an input for it, an operation, an old object, and a view full of random objects. */
const scenarioArb = kindArb.chain((kind) =>
  fc.record({
    kind: fc.constant(kind),
    input: anyInputFor(kind),
    operation: opArb,
    oldObject: fc.oneof(fc.constant(undefined), anyInputFor(kind)),
    view: fc.oneof(
      fc.constant(undefined),
      fc.array(
        kindArb.chain((k) => fc.oneof(mutatedArb(k), shapedArb.map((s) => ({ ...s, kind: k })))),
        { maxLength: 4 },
      ),
    ),
  }),
);

/** Kubernetes field path notation: `a.b[0].c`, `metadata.annotations[a/b]`. */
const FIELD_PATH = /^[A-Za-z_$][\w$-]*(\.[A-Za-z_$][\w$-]*|\[[^\]]*\])*$/;

function checkDenial(result: ReturnType<typeof validate>): void {
  for (const e of result.errors) {
    assert.equal(typeof e.field, 'string');
    assert.ok(e.field.length > 0, `error without a field path: ${JSON.stringify(e)}`);
    assert.ok(e.rule, `error without a rule id: ${JSON.stringify(e)}`);
    assert.ok(formatFieldError(e).startsWith(`${e.field}: `));
  }
  if (result.forbidden) assert.ok(FIELD_PATH.test(result.forbidden.field), `forbidden without a field: ${JSON.stringify(result.forbidden)}`);
  const denied = result.errors.length > 0 || result.forbidden !== undefined;
  if (denied) {
    const fields = [...result.errors.map((e) => e.field), ...(result.forbidden ? [result.forbidden.field] : [])];
    assert.ok(fields.some((f) => f.length > 0), 'a denial names no field');
  }
}

describe('reliability: properties of the rules and defaults (fast-check)', function () {
  this.timeout(120_000);

  it('validate() never throws, for any input, operation, old object and view; every denial names field paths', () => {
    fc.assert(
      fc.property(scenarioArb, ({ kind, input, operation, oldObject, view }) => {
        for (const unknownFields of ['ignore', 'error'] as const) {
          const result = validate(kind, input, {
            operation,
            oldObject,
            view: view ? staticView(view as KubeObject[]) : undefined,
            unknownFields,
          });
          assert.ok(Array.isArray(result.errors) && Array.isArray(result.warnings));
          for (const w of result.warnings) assert.equal(typeof w, 'string');
          checkDenial(result);
          // The errors render (no circular or exotic values).
          JSON.stringify(result);
        }
      }),
      params,
    );
  });

  it('defaults() never throws, does not modify its input, and is idempotent', () => {
    fc.assert(
      fc.property(scenarioArb, ({ kind, input, operation, oldObject }) => {
        const before = JSON.stringify(input);
        const ctx = { operation, oldObject, newUuid: fixedUuid };
        const once = defaults(kind, input, ctx);
        assert.equal(JSON.stringify(input), before, 'defaults() modified its input');
        const twice = defaults(kind, once, ctx);
        assert.deepEqual(twice, once);
        // A fresh UUID generator must not change an already defaulted object either.
        assert.deepEqual(defaults(kind, once, { operation, oldObject }), once);
      }),
      params,
    );
  });

  it('the mutate patch applied to the input yields exactly the defaulted object', () => {
    fc.assert(
      fc.property(scenarioArb, ({ kind, input, operation, oldObject }) => {
        if (input === null || typeof input !== 'object' || Array.isArray(input)) return;
        const defaulted = defaults(kind, input, { operation, oldObject, newUuid: fixedUuid });
        const ops = patchFor(input, defaulted);
        // The webhook only adds values; it never removes or rewrites what the user wrote.
        for (const op of ops) assert.equal(op.op, 'add', `unexpected ${op.op} at ${op.path}`);
        const applied = fastJsonPatch.applyPatch(structuredClone(input), ops, true, false).newDocument;
        // Compared as sent (JSON): applyPatch clones added values through JSON, turning -0 into 0.
        assert.deepEqual(JSON.parse(JSON.stringify(applied)), JSON.parse(JSON.stringify(defaulted)));
      }),
      params,
    );
  });

  it('patchFor() gives exactly the operations of fast-json-patch compare() (without its recursion)', () => {
    fc.assert(
      fc.property(scenarioArb, ({ kind, input, oldObject }) => {
        const pairs: Array<[unknown, unknown]> = [
          [input, defaults(kind, input, { newUuid: fixedUuid })],
          [oldObject ?? {}, input],
          [input, oldObject ?? []],
        ];
        for (const [a, b] of pairs) {
          if (a === null || typeof a !== 'object' || b === null || typeof b !== 'object') continue;
          // Compared as sent (JSON): fast-json-patch clones values through JSON, turning -0 into 0.
          assert.equal(JSON.stringify(patchFor(a, b)), JSON.stringify(fastJsonPatch.compare(a, b)));
        }
      }),
      params,
    );
  });

  it('a valid object stays valid once defaulted (mutations of valid objects, with defaulted fields removed)', () => {
    // Removing defaulted fields and perturbing others gives many valid inputs the defaulting must keep valid.
    const DEFAULTED: Record<KindName, string[][]> = {
      GSLBConfig: [['spec', 'refreshInterval'], ['spec', 'logLevel'], ['spec', 'useCustomGlobalFqdn'], ['spec', 'gslbLeader', 'tenant'], ['metadata', 'annotations']],
      GlobalDeploymentPolicy: [['spec', 'poolAlgorithmSettings'], ['spec', 'trafficSplit', '0', 'weight'], ['spec', 'trafficSplit', '1', 'priority'], ['spec', 'matchClusters', '0', 'syncVipOnly']],
      GSLBHostRule: [['spec', 'trafficSplit', '0', 'weight'], ['spec', 'trafficSplit', '1', 'priority']],
      AMKOCluster: [['spec', 'isLeader']],
    };
    let validSeen = 0;
    fc.assert(
      fc.property(
        kindArb.chain((kind) =>
          fc.record({
            kind: fc.constant(kind),
            strip: fc.subarray(DEFAULTED[kind]),
            input: fc.oneof(fc.constant(structuredClone(BASES[kind]) as unknown), mutatedArb(kind)),
            operation: fc.constantFrom<Operation>('CREATE', 'UPDATE'),
          }),
        ),
        ({ kind, strip, input, operation }) => {
          const o: any = structuredClone(input);
          for (const p of strip) {
            let cur = o;
            for (const k of p.slice(0, -1)) cur = cur && typeof cur === 'object' ? cur[k] : undefined;
            if (cur && typeof cur === 'object') delete cur[p[p.length - 1]!];
          }
          const view = staticView([BASES.GSLBConfig]);
          const ctx = { operation, oldObject: operation === 'UPDATE' ? BASES[kind] : undefined, view };
          const before = validate(kind, o, ctx);
          if (before.errors.length || before.forbidden) return;
          validSeen++;
          const after = validate(kind, defaults(kind, o, { operation, oldObject: ctx.oldObject, newUuid: fixedUuid }), ctx);
          assert.deepEqual(after.errors, [], `defaulting made a valid ${kind} invalid`);
          assert.equal(after.forbidden, undefined);
        },
      ),
      params,
    );
    assert.ok(validSeen >= RUNS / 10, `too few valid inputs generated (${validSeen})`);
  });

  it('any input valid before defaulting is valid after (arbitrary inputs)', () => {
    fc.assert(
      fc.property(scenarioArb, ({ kind, input, operation, oldObject, view }) => {
        if (operation !== 'CREATE' && operation !== 'UPDATE') return;
        const ctx = { operation, oldObject, view: view ? staticView(view as KubeObject[]) : undefined };
        const before = validate(kind, input, ctx);
        if (before.errors.length) return;
        const after = validate(kind, defaults(kind, input, { operation, oldObject, newUuid: fixedUuid }), ctx);
        assert.deepEqual(after.errors, []);
      }),
      params,
    );
  });

  it('deep nesting, huge arrays and huge strings do not throw', () => {
    // Built from text, as a request body would be (no shared references).
    const deep = JSON.parse(`${'{"spec":{"trafficSplit":['.repeat(2500)}1${']}}'.repeat(2500)}`) as unknown;
    const wide = Array.from({ length: 50_000 }, (_, i) => ({ cluster: `c${i}`, weight: i, priority: -i }));
    const inputs: unknown[] = [
      deep,
      { metadata: { name: 'x', namespace: 'avi-system' }, spec: deep },
      { metadata: { name: 'x'.repeat(1 << 20), namespace: 'avi-system' }, spec: { fqdn: 'a.'.repeat(1 << 18), trafficSplit: wide, matchClusters: wide } },
      { metadata: { name: 'x', namespace: 'avi-system', labels: Object.fromEntries(wide.map((w) => [w.cluster, 'v'])) }, spec: {} },
    ];
    for (const kind of KIND_NAMES) {
      for (const input of inputs) {
        const result = validate(kind, input, { view: staticView([BASES.GSLBConfig]) });
        checkDenial(result);
        const defaulted = defaults(kind, input, { newUuid: fixedUuid });
        if (input !== null && typeof input === 'object') patchFor(input, defaulted);
      }
    }
  });
});
