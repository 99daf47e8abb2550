// AKO's `host-fqdn-vs-uuid-map` (a JSON object of hostname → virtual service UUID) as a Map, read without
// making an object keyed by hostnames. Such objects (JSON.parse makes one per Ingress or Service derived) each
// add a transition from V8's root object map under a new key; past about 1,500 transitions alive between two
// full garbage collections V8 stops sharing hidden classes, and every object built after that (the informers'
// slim copies, parsed list pages) gets one of its own: ~150 bytes more per object, measured at 30k FQDNs.

const WS = '[ \\t\\n\\r]*';
const STR = '"(?:[^"\\\\]|\\\\.)*"';
/** A flat JSON object of strings (the shape AKO writes); anything else is read through JSON.parse. */
const FLAT = new RegExp(`^${WS}\\{${WS}(?:${STR}${WS}:${WS}${STR}${WS}(?:,${WS}${STR}${WS}:${WS}${STR}${WS})*)?\\}${WS}$`);
const PAIR = new RegExp(`(${STR})${WS}:${WS}(${STR})`, 'g');

/** The string-valued entries of an object. */
export function stringEntries(v: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (typeof x === 'string') out.set(k, x);
  }
  return out;
}

/** A JSON string token's value (JSON.parse of the token alone: control characters and bad escapes throw). */
function jsonString(token: string): string {
  return token.includes('\\') || /[\u0000-\u001f]/.test(token) ? (JSON.parse(token) as string) : token.slice(1, -1);
}

/**
 * The string-valued entries of the JSON object `text` (empty when it is not valid JSON or not an object), as
 * stringEntries(JSON.parse(text)) gives them.
 */
export function jsonStringEntries(text: string): Map<string, string> {
  if (FLAT.test(text)) {
    const out = new Map<string, string>();
    try {
      for (const [, k, v] of text.matchAll(PAIR)) out.set(jsonString(k!), jsonString(v!));
      return out;
    } catch {
      return new Map();
    }
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return new Map();
  }
  return Array.isArray(v) ? new Map() : stringEntries(v);
}
