// Building blocks of the rules' CEL forms (x-kubernetes-validations): the regular
// expressions (RE2; the checks' own from ./checks.ts) and the host[:port] rule
// set. The rules themselves, with their checks, are in the catalogue (./catalogue.ts).
import type { CelRule } from '../api/crd-bounds.js';
import { DETAIL, RE as CHECK_RE } from './checks.js';

export type { CelRule };

/** The checks' regular expressions (./checks.ts), and those only the CEL forms need. */
export const RE = {
  ...CHECK_RE,
  hostLabel: '[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?',
  ipv4: '^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$',
} as const;

const HOST_NAME = `^${RE.hostLabel}(\\.${RE.hostLabel})*$`;
/** A GSLB FQDN: ≥2 labels, or `*.` + ≥1 label. */
export const FQDN_RE = `^(\\*\\.${RE.hostLabel}(\\.${RE.hostLabel})*|${RE.hostLabel}(\\.${RE.hostLabel})+)$`;

/** `x` is an IP address as Go's net.ParseIP / Node's net.isIP accept it (no zone). */
export const isIp = (x: string) => `isIP(${x})`;

/** On a string node: an IP address. */
export const IP_RULES: CelRule[] = [{ rule: isIp('self'), message: DETAIL.ip, reason: 'FieldValueInvalid' }];

/** host, IPv4, [IPv6], each with an optional :port (1-65535). Later rules assume the shape of the first. */
const HOST_PORT_SHAPE = `(self.startsWith('[') ? self.matches(r'^\\[[^\\]]+\\](:[0-9]{1,5})?$') : self.matches(r'^[^:]+(:[0-9]{1,5})?$'))`;
const HOST = `(self.contains(':') ? self.substring(0, self.indexOf(':')) : self)`;
const PORT = `int(self.substring(self.lastIndexOf(':') + 1))`;
const BRACKETED = `self.substring(1, self.indexOf(']'))`;
export const HOST_PORT_RULES: CelRule[] = [
  { rule: HOST_PORT_SHAPE, message: DETAIL.hostPort, reason: 'FieldValueInvalid' },
  {
    rule: `!${HOST_PORT_SHAPE} || !self.startsWith('[') || (${isIp(BRACKETED)} && ip(${BRACKETED}).family() == 6)`,
    message: DETAIL.hostPort,
    reason: 'FieldValueInvalid',
  },
  {
    rule: `!${HOST_PORT_SHAPE} || self.startsWith('[') || !${HOST}.matches(r'^[0-9.]+$') || ${HOST}.matches(r'${RE.ipv4}')`,
    message: DETAIL.hostPort,
    reason: 'FieldValueInvalid',
  },
  {
    rule: `!${HOST_PORT_SHAPE} || self.startsWith('[') || ${HOST}.matches(r'^[0-9.]+$') || (size(${HOST}) <= 253 && ${HOST}.matches(r'${HOST_NAME}'))`,
    message: DETAIL.hostPort,
    reason: 'FieldValueInvalid',
  },
  {
    rule: `!${HOST_PORT_SHAPE} || !self.matches(r'(^[^:\\[]+|\\]):[0-9]{1,5}$') || (${PORT} >= 1 && ${PORT} <= 65535)`,
    message: DETAIL.hostPort,
    reason: 'FieldValueInvalid',
  },
];
