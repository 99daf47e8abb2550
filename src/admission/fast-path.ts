// The request paths the API server and the kubelet use, on the raw node:https handler in front
// of express: POST /validate and /mutate (any query, e.g. `?timeout=10s`) with `content-type:
// application/json` (optionally `; charset=utf-8`), an uncompressed body and a declared length
// or chunked encoding; and GET /healthz, /readyz, /metrics (probes.ts). Express's router,
// body-parser and res.json cost more CPU per request than the admission work itself
// (BENCHMARKS.md), and its module graph more memory than the rest of the webhook; everything
// else — other paths and methods, other content types and charsets, any content-encoding (gzip
// and its bomb limit), requests without a body — goes to express (express-app.ts) unchanged, so
// those answers are exactly what they were.
// Both paths refuse a body nested deeper than the API server's decoder allows (json-depth.ts)
// before parsing it.
// The answers given here are byte-for-byte those of the express routes: the same decision
// function (createDecider), the same 400 Status bodies and messages, the same headers.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from '../log.js';
import { countBadRequest } from './metrics.js';
import { tooDeepMessage, withinDepth } from './json-depth.js';
import { probe, type ProbeOptions } from './probes.js';
import { httpStatusBody, tooLargeMessage, type Reply, type Webhook } from './review.js';

const JSON_CONTENT_TYPE = /^application\/json(?:; ?charset=utf-8)?$/i;

export interface FastPathOptions {
  decide: (webhook: Webhook, body: unknown) => Promise<Reply>;
  log: Logger;
  /** Maximum body in bytes (counted as it streams in; the rest is drained, then 400). Undefined: webhooks go to express. */
  bodyLimit?: number;
  probes: ProbeOptions;
}

/** Returns a listener that answers the fast-path requests itself and hands every other one to `next`. */
export function withFastPath(next: RequestListener, opts: FastPathOptions): RequestListener {
  return (req, res) => {
    const answer = req.method === 'GET' ? probe(pathOf(req), opts.probes) : undefined;
    if (answer) {
      answer.then(
        (a) => res.writeHead(a.status, ['Content-Type', a.contentType, 'Content-Length', String(Buffer.byteLength(a.body))]).end(a.body),
        (err: unknown) => {
          opts.log.error({ path: pathOf(req), err }, 'request failed');
          send(res, { status: 500, body: httpStatusBody(500, 'InternalError', 'internal error') });
        },
      );
      return;
    }
    const webhook = opts.bodyLimit === undefined ? undefined : fastWebhook(req);
    if (webhook) readBody(webhook, req, res, opts as FastPathOptions & { bodyLimit: number });
    else next(req, res);
  };
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function fastWebhook(req: IncomingMessage): Webhook | undefined {
  if (req.method !== 'POST') return undefined;
  const path = pathOf(req);
  const webhook = path === '/validate' ? 'validate' : path === '/mutate' ? 'mutate' : undefined;
  if (!webhook) return undefined;
  const h = req.headers;
  const ct = h['content-type'];
  if (ct === undefined || !JSON_CONTENT_TYPE.test(ct)) return undefined;
  const encoding = h['content-encoding'];
  if (encoding && encoding.toLowerCase() !== 'identity') return undefined;
  // No body at all: express answers (its content-type check sees no body).
  if (h['content-length'] === undefined && h['transfer-encoding'] === undefined) return undefined;
  return webhook;
}

function readBody(webhook: Webhook, req: IncomingMessage, res: ServerResponse, opts: FastPathOptions & { bodyLimit: number }): void {
  const limit = opts.bodyLimit;
  const chunks: Buffer[] = [];
  let size = 0;
  // Past the limit nothing more is kept; the rest is read off (keep-alive) and then refused.
  let tooLarge = Number(req.headers['content-length']) > limit;
  req.on('data', (chunk: Buffer) => {
    if (tooLarge) return;
    size += chunk.length;
    if (size > limit) {
      tooLarge = true;
      chunks.length = 0;
    } else chunks.push(chunk);
  });
  req.on('error', (err) => {
    if (res.headersSent) return;
    // The client went away mid-body; answered (to no one) as express did: a 400 Status.
    countBadRequest(webhook);
    opts.log.warn({ path: `/${webhook}`, type: 'request.aborted', err: err.message }, 'bad request');
    send(res, { status: 400, body: httpStatusBody(400, 'BadRequest', 'request aborted') });
  });
  req.on('end', () => {
    if (tooLarge) {
      const message = tooLargeMessage(limit);
      countBadRequest(webhook);
      opts.log.warn({ path: `/${webhook}`, type: 'entity.too.large', err: 'request entity too large' }, 'bad request');
      send(res, { status: 400, body: httpStatusBody(400, 'BadRequest', message) });
      return;
    }
    const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
    if (!withinDepth(bytes)) {
      countBadRequest(webhook);
      opts.log.warn({ path: `/${webhook}`, type: 'entity.too.deep', bytes: size }, 'bad request');
      send(res, { status: 400, body: httpStatusBody(400, 'BadRequest', tooDeepMessage()) });
      return;
    }
    let body: unknown;
    try {
      body = parseJson(bytes.toString('utf8'));
    } catch (err) {
      const message = (err as Error).message;
      countBadRequest(webhook);
      opts.log.warn({ path: `/${webhook}`, type: 'entity.parse.failed', err: message }, 'bad request');
      send(res, { status: 400, body: httpStatusBody(400, 'BadRequest', `request body is not valid JSON: ${message}`) });
      return;
    }
    opts.decide(webhook, body).then(
      (reply) => send(res, reply),
      (err: unknown) => {
        opts.log.error({ path: `/${webhook}`, err }, 'request failed');
        send(res, { status: 500, body: httpStatusBody(500, 'InternalError', 'internal error') });
      },
    );
  });
}

/**
 * JSON.parse with the express.json({ strict: true }) contract: a leading UTF-8 BOM is dropped,
 * an empty body is `{}`, and a body whose first non-blank character is not `{` or `[` is
 * refused with the message JSON.parse gives for that character.
 */
export function parseJson(text: string): unknown {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.length === 0) return {};
  const c = text[0];
  const first = c === '{' || c === '[' ? c : /^[ \t\n\r]*(.|$)/s.exec(text)![1]!;
  if (first !== '{' && first !== '[') {
    // Parse the text with everything from that character on masked, so the error names it,
    // then put the masked characters back into the message.
    const at = first === '' ? -1 : text.indexOf(first);
    const masked = at === -1 ? '' : text.slice(0, at) + '#'.repeat(text.length - at);
    try {
      JSON.parse(masked);
    } catch (err) {
      throw new SyntaxError((err as Error).message.replace(/#+/g, (run) => text.slice(at, at + run.length)));
    }
    throw new SyntaxError('strict violation');
  }
  return JSON.parse(text);
}

function send(res: ServerResponse, reply: Reply): void {
  const text = JSON.stringify(reply.body);
  // The headers express's res.json sends (etag and x-powered-by are off).
  res.writeHead(reply.status, ['Content-Type', 'application/json; charset=utf-8', 'Content-Length', String(Buffer.byteLength(text))]);
  res.end(text);
}
