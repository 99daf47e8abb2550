// The body of a Kubernetes watch: one JSON event per line
// ({"type":"ADDED|MODIFIED|DELETED|BOOKMARK|ERROR","object":{...}}), in chunks
// that split lines (and UTF-8 characters) anywhere.
import { StringDecoder } from 'node:string_decoder';

export interface WatchEvent {
  type: string;
  /** The object; for ERROR a Status (code 410: the resourceVersion is too old, list again). */
  object: { metadata?: { resourceVersion?: string }; code?: number; message?: string } & Record<string, unknown>;
}

export class WatchEventParser {
  private readonly decoder = new StringDecoder('utf8');
  private rest = '';

  /** The complete events in `chunk` (with what earlier chunks left unfinished); a line that is not an event is skipped. */
  push(chunk: Buffer | string): WatchEvent[] {
    const text = this.rest + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    const lines = text.split('\n');
    this.rest = lines.pop() ?? '';
    return parseLines(lines);
  }

  /** The last event, when the stream ended without a final line break. */
  end(): WatchEvent[] {
    const last = this.rest + this.decoder.end();
    this.rest = '';
    return parseLines([last]);
  }
}

function parseLines(lines: string[]): WatchEvent[] {
  const out: WatchEvent[] = [];
  for (const line of lines) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line) as Partial<WatchEvent>;
      if (typeof e?.type === 'string' && e.object && typeof e.object === 'object') out.push(e as WatchEvent);
    } catch {
      // Not JSON (a truncated line at a cut connection): skipped, as client-node did.
    }
  }
  return out;
}
