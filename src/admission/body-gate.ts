// One large request body at a time. The API server's reviews are a few KiB; a body of
// hundreds of KiB up to the 3 MiB limit only comes from someone else, and each one costs
// tens to hundreds of milliseconds of parsing and rules and up to a hundred MiB of heap.
// Several at once multiplied both: the event loop ran one phase of each before a probe's
// next TLS step, and an attack run peaked at 900 MB. A large body now waits, unread (TCP
// holds it at the client), until the one before it is answered; small ones never wait.
// A client that stalls while holding the turn is cut by the server's request timeout (30 s).
import type { IncomingMessage, RequestListener } from 'node:http';

/** A POST to /validate or /mutate larger than this (or of unknown size) waits for its turn. */
export const LARGE_BODY_BYTES = 256 * 1024;

/** Hands `listener` one large webhook body at a time; every other request goes straight through. */
export function withLargeBodyGate(listener: RequestListener): RequestListener {
  const gate = new Gate();
  return (req, res) => {
    if (!isLargeWebhookBody(req)) {
      listener(req, res);
      return;
    }
    gate.enter((release) => {
      res.once('close', release);
      // Gone while it waited: nothing to read or answer.
      if (req.destroyed || res.destroyed) release();
      else listener(req, res);
    });
  };
}

function isLargeWebhookBody(req: IncomingMessage): boolean {
  if (req.method !== 'POST') return false;
  const url = req.url ?? '';
  if (!url.startsWith('/validate') && !url.startsWith('/mutate')) return false;
  const encoding = req.headers['content-encoding'];
  // Compressed: the size that matters is the inflated one, known only after reading.
  if (encoding && encoding.toLowerCase() !== 'identity') return true;
  const length = req.headers['content-length'];
  if (length === undefined) return req.headers['transfer-encoding'] !== undefined;
  return !(Number(length) <= LARGE_BODY_BYTES);
}

/** One holder at a time, the others in arrival order. */
class Gate {
  private busy = false;
  private readonly waiting: Array<(release: () => void) => void> = [];

  enter(start: (release: () => void) => void): void {
    this.waiting.push(start);
    this.grantNext();
  }

  private grantNext(): void {
    if (this.busy) return;
    const start = this.waiting.shift();
    if (!start) return;
    this.busy = true;
    let released = false;
    start(() => {
      if (released) return;
      released = true;
      this.busy = false;
      // Not from inside this call: a queue of clients that left would otherwise nest calls.
      queueMicrotask(() => this.grantNext());
    });
  }
}
