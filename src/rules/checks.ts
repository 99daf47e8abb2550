// Small value checks shared by the rules. Each returns undefined when the value
// is fine, or the detail text for a field error ("what is allowed").
import { isIP } from 'node:net';

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
export function obj(v: unknown): Obj | undefined {
  return isObj(v) ? v : undefined;
}

/** An IPv4 or IPv6 address (no zone, no brackets), like Go's net.ParseIP. */
export function isIPAddress(v: string): boolean {
  return !v.includes('%') && isIP(v) !== 0;
}

/** Detail texts of the value checks; the CEL forms of the rules (src/rules/catalogue.ts) say the same. */
export const DETAIL = {
  dns1123Subdomain: "must be a lowercase RFC 1123 subdomain: labels of a-z, 0-9 and '-', separated by '.' (e.g. 'example.com')",
  fqdnLabels: "must be a fully qualified DNS name with at least two labels (e.g. 'app.example.com')",
  fqdn: "must be a DNS name: labels of letters, digits and '-' (at most 63 each), separated by '.' (e.g. 'app.example.com')",
  hostPort: "must be a host name, an IPv4 address or a bracketed IPv6 address, with an optional ':port' (1-65535)",
  version: "must have the form N.N.N or N.N.N-suffix (e.g. '22.1.3')",
  uuid: "must be a UUID (e.g. '0b4a8e0c-6f0c-11ee-b962-0242ac120002')",
  labelKey:
    "must be '[prefix/]name': name 1-63 characters of letters, digits, '-', '_' or '.', starting and ending with " +
    'a letter or digit; prefix a lowercase DNS subdomain',
  labelValue: "must be 1-63 characters of letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
  ip: 'must be a valid IPv4 or IPv6 address',
  maxName: 'must be no more than 253 characters',
} as const;

/**
 * Regular expressions of the checks, written so that JavaScript and RE2 (CEL's `matches`) read them
 * alike: the checks here and the rules' CEL forms (./cel.ts) use the same strings.
 */
export const RE = {
  dns1123Subdomain: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
  qualifiedName: '^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$',
  version: '^[0-9]+\\.[0-9]+\\.[0-9]+(-[0-9A-Za-z][0-9A-Za-z.-]*)?$',
  uuid: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
} as const;

const DNS1123_SUBDOMAIN_RE = new RegExp(RE.dns1123Subdomain);
const HOST_LABEL_RE = /^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?$/;

/** RFC 1123 subdomain: what Kubernetes requires of Secret names. */
export function checkDns1123Subdomain(v: string): string | undefined {
  if (v.length > 253) return DETAIL.maxName;
  return DNS1123_SUBDOMAIN_RE.test(v) ? undefined : DETAIL.dns1123Subdomain;
}

/** A DNS name for a GSLB service: labels of letters, digits and '-', ≤63 each, ≤253 total; an optional leading `*.`. */
export function checkFqdn(v: string): string | undefined {
  const name = v.startsWith('*.') ? v.slice(2) : v;
  if (v.length > 253) return DETAIL.maxName;
  const labels = name.split('.');
  if (labels.length < 2 && !v.startsWith('*.')) return DETAIL.fqdnLabels;
  return labels.every((l) => l.length <= 63 && HOST_LABEL_RE.test(l)) ? undefined : DETAIL.fqdn;
}

/** A host name (RFC 1123, any case), used for the controller address. */
function isHostName(v: string): boolean {
  if (v.length === 0 || v.length > 253) return false;
  return v.split('.').every((l) => l.length <= 63 && HOST_LABEL_RE.test(l));
}

const HOST_PORT_DETAIL = DETAIL.hostPort;

/** `host`, `1.2.3.4`, `[fd00::1]`, each with an optional `:port`. */
export function checkHostPort(v: string): string | undefined {
  let host = v;
  let port: string | undefined;
  if (v.startsWith('[')) {
    const end = v.indexOf(']');
    if (end < 0) return HOST_PORT_DETAIL;
    host = v.slice(1, end);
    const rest = v.slice(end + 1);
    if (rest) {
      if (!rest.startsWith(':')) return HOST_PORT_DETAIL;
      port = rest.slice(1);
    }
    if (isIP(host) !== 6 || host.includes('%')) return HOST_PORT_DETAIL;
  } else {
    const colons = v.split(':').length - 1;
    if (colons > 1) return `${HOST_PORT_DETAIL}; write an IPv6 address as [address]`;
    if (colons === 1) {
      host = v.slice(0, v.indexOf(':'));
      port = v.slice(v.indexOf(':') + 1);
    }
    const looksNumeric = /^[0-9.]+$/.test(host);
    if (looksNumeric ? isIP(host) !== 4 : !isHostName(host)) return HOST_PORT_DETAIL;
  }
  if (port !== undefined) {
    if (!/^[0-9]{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) return HOST_PORT_DETAIL;
  }
  return undefined;
}

const VERSION_RE = new RegExp(RE.version);
/** `N.N.N` or `N.N.N-suffix` (Avi controller versions such as 22.1.3 or 30.2.1-9000). */
export function checkVersion(v: string): string | undefined {
  return VERSION_RE.test(v)
    ? undefined
    : DETAIL.version;
}

const UUID_RE = new RegExp(RE.uuid);
export function checkUuid(v: string): string | undefined {
  return UUID_RE.test(v) ? undefined : DETAIL.uuid;
}

const QUALIFIED_NAME_RE = new RegExp(RE.qualifiedName);

/** A label key: `[prefix/]name`, prefix a DNS subdomain (≤253), name ≤63 of [A-Za-z0-9-_.] with alphanumeric ends. */
export function checkLabelKey(k: string): string | undefined {
  const parts = k.split('/');
  const detail = DETAIL.labelKey;
  if (parts.length > 2) return detail;
  const name = parts[parts.length - 1]!;
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME_RE.test(name)) return detail;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    if (prefix.length === 0 || checkDns1123Subdomain(prefix)) return detail;
  }
  return undefined;
}

/** A label value. AMKO selectors need a value, so empty is rejected too. */
export function checkLabelValue(v: string): string | undefined {
  if (v.length === 0 || v.length > 63 || !QUALIFIED_NAME_RE.test(v)) return DETAIL.labelValue;
  return undefined;
}

/** Keeps a warning under the 120-character limit Kubernetes recommends. */
export function warning(field: string, text: string): string {
  const w = `${field}: ${text}`;
  return w.length < 120 ? w : `${w.slice(0, 116)}...`;
}

/** `"a", "b"` for messages. */
export function quoteList(values: readonly string[]): string {
  return values.length ? values.map((v) => JSON.stringify(v)).join(', ') : '(none)';
}
