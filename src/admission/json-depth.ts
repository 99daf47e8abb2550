// The nesting depth of a JSON text, checked on the raw bytes before anything parses them.
// The API server decodes with Go's encoding/json rules (sigs.k8s.io/json), which refuse
// nesting deeper than 10,000 levels, so no body it sends nests deeper. A deeper body is
// refused with 400 before JSON.parse, which spends up to a second and a half on one (a
// 2.8 MiB body 1.45 million levels deep) while no other request is answered.
//
// One pass, no recursion: brackets and braces count outside strings only, and a string
// ends at the first quote not escaped by an odd run of backslashes (found with indexOf,
// so string contents cost a memchr). Bytes of multi-byte UTF-8 characters are all >= 0x80
// and never look like structure. Malformed JSON is JSON.parse's to refuse; this only has
// to be exact for well-formed text.

/** The deepest nesting Go's JSON decoder accepts (encoding/json maxNestingDepth). */
export const MAX_JSON_DEPTH = 10_000;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/** True when the JSON text `bytes` (UTF-8) nests no deeper than `limit` levels. */
export function withinDepth(bytes: Uint8Array, limit: number = MAX_JSON_DEPTH): boolean {
  // Every level opens with a byte of its own: a text no longer than the limit cannot exceed it.
  // This keeps the check free for the usual few-KiB review.
  if (bytes.length <= limit) return true;
  let depth = 0;
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const c = bytes[i]!;
    if (c === QUOTE) {
      let end = i + 1;
      for (;;) {
        end = bytes.indexOf(QUOTE, end);
        if (end === -1) return true; // unterminated string: JSON.parse refuses it
        let backslashes = 0;
        // Stops at the opening quote at the latest.
        while (bytes[end - 1 - backslashes] === BACKSLASH) backslashes++;
        if (backslashes % 2 === 0) break;
        end++;
      }
      i = end + 1;
      continue;
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > limit) return false;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
    i++;
  }
  return true;
}

/** The 400 message for a body nested too deeply. */
export function tooDeepMessage(limit: number = MAX_JSON_DEPTH): string {
  return `request body nests deeper than ${limit} levels (the limit of the API server's JSON decoder)`;
}
