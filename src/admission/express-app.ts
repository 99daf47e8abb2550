// Every request the fast path (fast-path.ts) does not answer: other paths and methods (HEAD of
// the probes too), other content types and charsets, any content-encoding (gzip and its bomb
// limit), requests without a body, bad bodies. Express 5 with body-parser; loaded on the first
// such request (app.ts), so a server that only sees the API server and the kubelet never loads it.
import type { RequestListener } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from '../log.js';
import { countBadRequest } from './metrics.js';
import { tooDeepMessage, withinDepth } from './json-depth.js';
import { probe, type ProbeOptions } from './probes.js';
import { httpStatusBody, tooLargeMessage, type Reply, type Webhook } from './review.js';

export interface ExpressAppOptions {
  log: Logger;
  bodyLimit: string | number;
  decide: (webhook: Webhook, body: unknown) => Promise<Reply>;
  probes: ProbeOptions;
}

export function createExpressApp(opts: ExpressAppOptions): RequestListener {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const { log, bodyLimit, decide } = opts;

  for (const path of ['/healthz', '/readyz', '/metrics']) {
    app.get(path, async (_req, res, next) => {
      try {
        const answer = (await probe(path, opts.probes))!;
        res.status(answer.status).type(answer.contentType).send(answer.body);
      } catch (err) {
        next(err);
      }
    });
  }

  const requireJson = (req: Request, res: Response, next: NextFunction) => {
    if (!req.is('application/json')) {
      countBadRequest(webhookOf(req));
      res.status(400).json(httpStatusBody(400, 'BadRequest', 'content-type must be application/json'));
      return;
    }
    next();
  };
  const parseJson = express.json({ limit: bodyLimit, type: 'application/json', strict: true, verify: refuseTooDeep });

  for (const webhook of ['validate', 'mutate'] as const) {
    app.post(`/${webhook}`, requireJson, parseJson, async (req: Request, res: Response) => {
      const reply = await decide(webhook, req.body);
      res.status(reply.status).json(reply.body);
    });
  }

  app.use((_req: Request, res: Response) => {
    res.status(404).json(httpStatusBody(404, 'NotFound', 'not found'));
  });
  // Express 5 error handler: body-parser failures (bad JSON, too large, bad charset) and anything unexpected.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = err as { status?: number; type?: string; message?: string };
    if (res.headersSent) return;
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      const message =
        e.type === 'entity.too.large'
          ? tooLargeMessage(bodyLimit)
          : e.type === 'entity.parse.failed'
            ? `request body is not valid JSON: ${e.message ?? ''}`
            : (e.message ?? 'bad request');
      countBadRequest(webhookOf(req));
      log.warn({ path: req.path, type: e.type, err: e.message }, 'bad request');
      res.status(400).json(httpStatusBody(400, 'BadRequest', message));
      return;
    }
    log.error({ path: req.path, err }, 'request failed');
    res.status(500).json(httpStatusBody(500, 'InternalError', 'internal error'));
  });
  return app as RequestListener;
}

/**
 * body-parser's verify hook (raw bytes, before the parse): a body nested deeper than the API
 * server's decoder allows is refused with 400, as on the fast path. Bytes in another charset
 * are decoded first; a charset TextDecoder cannot read (UTF-32, UTF-7) is refused as unsupported.
 */
function refuseTooDeep(_req: unknown, _res: unknown, buf: Buffer, charset: string): void {
  let utf8: Uint8Array = buf;
  if (charset !== 'utf-8') {
    try {
      utf8 = Buffer.from(new TextDecoder(charset).decode(buf), 'utf8');
    } catch {
      throw Object.assign(new Error(`unsupported charset "${charset.toUpperCase()}"`), { status: 415, type: 'charset.unsupported' });
    }
  }
  if (!withinDepth(utf8)) throw Object.assign(new Error(tooDeepMessage()), { status: 400, type: 'entity.too.deep' });
}

function webhookOf(req: Request): string {
  return req.path === '/validate' || req.path === '/mutate' ? req.path.slice(1) : 'other';
}
