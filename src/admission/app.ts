// The admission webhook: POST /validate, POST /mutate, GET /healthz, /readyz, /metrics.
// Transport (TLS) lives in server.ts, so tests can drive this app directly or through the
// real HTTPS server.
import type { RequestListener } from 'node:http';
import { AMKO_NAMESPACE, GROUP } from '../api/common.js';
import { KINDS, isKindName, type KindName } from '../api/kinds.js';
import { unredacted, type Logger } from '../log.js';
import { registry } from '../metrics.js';
import { defaultsShared, patchFor, ruleIds, validate, type Operation } from '../rules/index.js';
import { str } from '../rules/checks.js';
import { namespaceOf } from '../rules/shared.js';
import type { ClusterView } from '../rules/view.js';
import { boundedDelay } from '../timers.js';
import { withLargeBodyGate } from './body-gate.js';
import { withFastPath } from './fast-path.js';
import { countBadRequest, countDirectReads, countRejection, countRequest, observeDuration } from './metrics.js';
import {
  BadRequest,
  decodeReview,
  forbiddenStatus,
  httpStatusBody,
  internalStatus,
  invalidStatus,
  review,
  tooLargeMessage,
  type AdmissionRequest,
  type AdmissionResponse,
  type Reply,
  type Webhook,
} from './review.js';
import type { AdmissionView } from './view.js';

export interface AdmissionAppOptions {
  /** Own-cluster view. Without one, cross-object rules are skipped and each answer says so in a warning. */
  view?: AdmissionView;
  log: Logger;
  /** Maximum request body, e.g. '3mb' or a byte count. Default 3 MiB. */
  bodyLimit?: string | number;
  /** Not-ready reasons (empty = ready), for GET /readyz. */
  readiness?: () => string[];
  /** The text of GET /metrics. Default: this process's registry (a webhook worker asks the primary for every process's). */
  metrics?: () => Promise<string>;
  /** UUID generator for GSLBConfig defaulting (tests inject a fixed one). */
  newUuid?: () => string;
  /** Upper bound for a direct read confirming the cache (ms). Default 3000. */
  confirmTimeoutMs?: number;
}

export const DEFAULT_BODY_LIMIT = 3 * 1024 * 1024;

/**
 * The request listener for the HTTPS server: the fast path (fast-path.ts) answers the webhooks and
 * the probes; every other request goes to the express app (express-app.ts), loaded on first use,
 * so a server that only ever sees the API server and the kubelet does not carry express in memory.
 */
export function createAdmissionApp(opts: AdmissionAppOptions): RequestListener {
  const bodyLimit = opts.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const decide = createDecider(opts);
  const probes = { readiness: opts.readiness, metrics: opts.metrics ?? (() => registry.metrics()) };
  let expressApp: Promise<RequestListener> | undefined;
  const viaExpress: RequestListener = (req, res) => {
    expressApp ??= import('./express-app.js').then((m) => m.createExpressApp({ log: opts.log, bodyLimit, decide, probes }));
    expressApp.then(
      (app) => app(req, res),
      (err: unknown) => {
        opts.log.error({ path: req.url, err }, 'request failed');
        res.writeHead(500, ['Content-Type', 'application/json; charset=utf-8']).end(JSON.stringify(httpStatusBody(500, 'InternalError', 'internal error')));
      },
    );
  };
  return withLargeBodyGate(withFastPath(viaExpress, { decide, log: opts.log, bodyLimit: typeof bodyLimit === 'number' ? bodyLimit : undefined, probes }));
}

/**
 * The decision for one parsed request body: envelope check, the rules, metrics and the
 * decision log line. Shared by the express routes and the fast path (fast-path.ts).
 */
export function createDecider(opts: AdmissionAppOptions): (webhook: Webhook, body: unknown) => Promise<Reply> {
  const log = opts.log;
  // The per-request decision line carries only scalars picked below; redaction cost more than the rest
  // of the request handling together (bench/webhook.ts profile, BENCHMARKS.md).
  const decisionLog = unredacted(log);
  return async (webhook, body) => {
    const started = process.hrtime.bigint();
    let decoded;
    try {
      decoded = decodeReview(body);
    } catch (err) {
      if (!(err instanceof BadRequest)) throw err;
      countBadRequest(webhook);
      log.warn({ webhook, err: err.message }, 'bad admission request');
      return { status: 400, body: httpStatusBody(400, 'BadRequest', err.message) };
    }
    const { version, request } = decoded;
    const kind = request.kind.kind;
    let response: AdmissionResponse;
    let rules: string[] = [];
    let result: 'allowed' | 'denied' | 'error';
    try {
      const out = webhook === 'validate' ? await handleValidate(request, opts) : handleMutate(request, opts);
      response = out.response;
      rules = out.rules;
      result = response.allowed ? 'allowed' : 'denied';
    } catch (err) {
      // Fail closed: the API server shows the message; failurePolicy is not involved.
      log.error({ uid: request.uid, webhook, kind, err }, 'admission handler failed');
      response = {
        uid: request.uid,
        allowed: false,
        status: internalStatus(`amko ${webhook} webhook failed on ${kind} ${JSON.stringify(request.name ?? '')}: ${errorMessage(err)}`),
      };
      rules = ['internal'];
      result = 'error';
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    observeDuration(webhook, seconds);
    countRequest(webhook, isKindName(kind) ? kind : 'other', request.operation, result);
    if (result === 'denied') for (const rule of rules) countRejection(kind, rule);
    decisionLog.info(
      {
        uid: request.uid,
        webhook,
        kind,
        namespace: request.namespace,
        name: request.name,
        operation: request.operation,
        subResource: request.subResource,
        dryRun: request.dryRun === true,
        allowed: response.allowed,
        code: response.status?.code,
        rules,
        warnings: response.warnings?.length ?? 0,
        patched: response.patch !== undefined,
        durationMs: Math.round(seconds * 1e6) / 1e3,
      },
      'admission decision',
    );
    return { status: 200, body: review(version, response) };
  };
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function ours(request: AdmissionRequest): KindName | undefined {
  const { group, kind } = request.kind;
  return group === GROUP && isKindName(kind) ? kind : undefined;
}

/**
 * The direct reads this request may need, by what a lagging cache can get wrong:
 * - `now`: a GSLBConfig applied in the same `kubectl apply -f` as this GDP/GSLBHostRule may not be
 *   cached yet, and without it the member clusters cannot be checked: read before deciding.
 * - `beforeDenying`: this CREATE's own kind (singletons; GSLBHostRule FQDNs). Another object may have
 *   been created or deleted milliseconds ago. A cache that follows a live watch lags by the watch's
 *   delivery time only, so an allowed answer from it stands (a second singleton or FQDN created within
 *   those milliseconds is refused by the worker: oldest wins, the other gets an error status), and only
 *   a denial is confirmed, so no request is refused over an object that is already gone. A cache whose
 *   watch is not live (or a view that cannot tell) is confirmed before deciding, like `now`.
 */
function readsFor(kind: KindName, operation: Operation, view: AdmissionView): { now: KindName[]; beforeDenying: KindName[] } {
  const now: KindName[] = [];
  const beforeDenying: KindName[] = [];
  if (operation === 'CREATE') (view.watchSynced?.([kind]) ? beforeDenying : now).push(kind);
  if (kind === 'GlobalDeploymentPolicy' || kind === 'GSLBHostRule') {
    if (!view.list('GSLBConfig').some((o) => namespaceOf(o) === AMKO_NAMESPACE)) now.push('GSLBConfig');
  }
  return { now, beforeDenying };
}

/** The view with `kinds` read from the API server; the cached view when the read fails or times out. */
async function confirmed(view: AdmissionView, kinds: KindName[], request: AdmissionRequest, opts: AdmissionAppOptions): Promise<ClusterView> {
  if (kinds.length === 0 || !view.confirm) return view;
  countDirectReads(kinds);
  const timeoutMs = opts.confirmTimeoutMs ?? 3000;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      view.confirm(kinds),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`direct read timed out after ${timeoutMs} ms`)), boundedDelay(timeoutMs));
      }),
    ]);
  } catch (err) {
    opts.log.warn({ uid: request.uid, kinds, err: errorMessage(err) }, 'direct read failed; answering from the cache');
    return view;
  } finally {
    clearTimeout(timer);
  }
}

function isStatusWrite(request: AdmissionRequest): boolean {
  return request.subResource === 'status';
}

async function handleValidate(request: AdmissionRequest, opts: AdmissionAppOptions): Promise<{ response: AdmissionResponse; rules: string[] }> {
  const kind = ours(request);
  const allow = { response: { uid: request.uid, allowed: true }, rules: [] };
  // Not ours, deletions, and status writes (the worker's; spec cannot change through /status) are allowed.
  // Only exactly "status": our kinds have no other subresource, so any other value is no
  // request the API server makes and is validated like the object itself.
  if (!kind || request.operation === 'DELETE' || request.operation === 'CONNECT' || isStatusWrite(request)) return allow;
  const object = request.object ?? {};
  // A string whatever a forged body carries: it goes into the Status message and details.name.
  const name = str(request.name) ?? str((object as { metadata?: { name?: unknown } }).metadata?.name) ?? '';
  const check = (view: ClusterView | undefined) =>
    validate(kind, object, {
      operation: request.operation,
      oldObject: request.oldObject ?? undefined,
      view,
      unknownFields: 'ignore',
      namespace: request.namespace ?? '',
      name,
    });
  const view = opts.view;
  let result;
  if (!view?.confirm || request.namespace !== AMKO_NAMESPACE) result = check(view);
  else {
    const reads = readsFor(kind, request.operation, view);
    result = check(await confirmed(view, reads.now, request, opts));
    if ((result.forbidden || result.errors.length > 0) && reads.beforeDenying.length > 0) {
      result = check(await confirmed(view, [...reads.now, ...reads.beforeDenying], request, opts));
    }
  }
  const response: AdmissionResponse = { uid: request.uid, allowed: true };
  if (result.forbidden) {
    response.allowed = false;
    response.status = forbiddenStatus(KINDS[kind].plural, name, result.forbidden, result.errors);
  } else if (result.errors.length) {
    response.allowed = false;
    response.status = invalidStatus(kind, name, result.errors);
  }
  if (result.warnings.length) response.warnings = result.warnings;
  return { response, rules: ruleIds(result) };
}

function handleMutate(request: AdmissionRequest, opts: AdmissionAppOptions): { response: AdmissionResponse; rules: string[] } {
  const kind = ours(request);
  const response: AdmissionResponse = { uid: request.uid, allowed: true };
  if (!kind || (request.operation !== 'CREATE' && request.operation !== 'UPDATE') || isStatusWrite(request)) {
    return { response, rules: [] };
  }
  const object = request.object;
  if (object === null || typeof object !== 'object' || Array.isArray(object)) return { response, rules: [] };
  // Shares the untouched subtrees (metadata, managedFields, …) with the request: patchFor skips them.
  const defaulted = defaultsShared(kind, object, {
    operation: request.operation,
    oldObject: request.oldObject ?? undefined,
    newUuid: opts.newUuid,
  });
  const ops = patchFor(object, defaulted);
  if (ops.length) {
    response.patchType = 'JSONPatch';
    response.patch = Buffer.from(JSON.stringify(ops)).toString('base64');
  }
  return { response, rules: [] };
}
