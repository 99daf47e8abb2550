// Rules shared by several kinds: the pool algorithm matrix, the down response,
// health monitor refs vs template, and lookups into the cluster view.
import { AMKO_NAMESPACE, GEO_FALLBACK_ALGORITHMS, LB_ALGORITHMS } from '../api/common.js';
import type { KindName } from '../api/kinds.js';
import { arr, isIPAddress, obj, str, type Obj } from './checks.js';
import { duplicate, forbidden, invalid, required, supportedValues, type FieldError } from './field-error.js';
import type { ClusterView, KubeObject } from './view.js';

const RR = 'GSLB_ALGORITHM_ROUND_ROBIN';
const CH = 'GSLB_ALGORITHM_CONSISTENT_HASH';
const GEO = 'GSLB_ALGORITHM_GEO';
const FALLBACK_IP = 'GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP';

/** `poolAlgorithmSettings`: hashMask only (and always) with CONSISTENT_HASH, geoFallback only (and always) with GEO. */
export function checkPoolAlgorithm(settings: unknown, path: string, errors: FieldError[]): void {
  const s = obj(settings);
  if (!s) return;
  const algo = str(s.lbAlgorithm);
  if (s.lbAlgorithm === undefined) {
    errors.push(required(`${path}.lbAlgorithm`, supportedValues(LB_ALGORITHMS), 'pool-algorithm.required'));
  }
  if (algo === CH && s.hashMask === undefined) {
    errors.push(required(`${path}.hashMask`, `required when lbAlgorithm is ${CH}`, 'pool-algorithm.hash-mask'));
  }
  if (algo !== undefined && algo !== CH && s.hashMask !== undefined) {
    errors.push(forbidden(`${path}.hashMask`, `only allowed when lbAlgorithm is ${CH}`, 'pool-algorithm.hash-mask'));
  }
  if (algo === GEO && s.geoFallback === undefined) {
    errors.push(required(`${path}.geoFallback`, `required when lbAlgorithm is ${GEO}`, 'pool-algorithm.geo-fallback'));
  }
  if (algo !== undefined && algo !== GEO && s.geoFallback !== undefined) {
    errors.push(forbidden(`${path}.geoFallback`, `only allowed when lbAlgorithm is ${GEO}`, 'pool-algorithm.geo-fallback'));
  }
  const fb = obj(s.geoFallback);
  if (algo === GEO && fb) {
    const fpath = `${path}.geoFallback`;
    const falgo = str(fb.lbAlgorithm);
    if (fb.lbAlgorithm === undefined) {
      errors.push(
        required(`${fpath}.lbAlgorithm`, supportedValues(GEO_FALLBACK_ALGORITHMS), 'pool-algorithm.geo-fallback-algorithm'),
      );
    }
    if (falgo === CH && fb.hashMask === undefined) {
      errors.push(required(`${fpath}.hashMask`, `required when geoFallback.lbAlgorithm is ${CH}`, 'pool-algorithm.geo-fallback-hash-mask'));
    }
    if (falgo === RR && fb.hashMask !== undefined) {
      errors.push(forbidden(`${fpath}.hashMask`, `not allowed when geoFallback.lbAlgorithm is ${RR}`, 'pool-algorithm.geo-fallback-hash-mask'));
    }
  }
}

/** `downResponse`: fallbackIP required (and a valid IP) for FALLBACK_IP, forbidden for the other types. */
export function checkDownResponse(value: unknown, path: string, errors: FieldError[]): void {
  const d = obj(value);
  if (!d) return;
  const type = str(d.type);
  if (type === undefined) return; // missing/invalid type is a schema error
  if (type === FALLBACK_IP) {
    if (d.fallbackIP === undefined || d.fallbackIP === '') {
      errors.push(required(`${path}.fallbackIP`, `required when type is ${FALLBACK_IP}`, 'down-response.fallback-ip'));
    } else if (typeof d.fallbackIP === 'string' && !isIPAddress(d.fallbackIP)) {
      errors.push(invalid(`${path}.fallbackIP`, d.fallbackIP, 'must be a valid IPv4 or IPv6 address', 'down-response.fallback-ip'));
    }
  } else if (d.fallbackIP !== undefined) {
    errors.push(forbidden(`${path}.fallbackIP`, `only allowed when type is ${FALLBACK_IP}`, 'down-response.fallback-ip'));
  }
}

/** `healthMonitorRefs` unique; `healthMonitorTemplate` exclusive with a non-empty refs list. */
export function checkHealthMonitors(spec: Obj, path: string, errors: FieldError[]): void {
  const refs = arr(spec.healthMonitorRefs);
  const seen = new Set<string>();
  refs.forEach((r, i) => {
    if (typeof r !== 'string' || r === '') return;
    if (seen.has(r)) errors.push(duplicate(`${path}.healthMonitorRefs[${i}]`, r, 'health-monitor.refs-unique'));
    seen.add(r);
  });
  if (refs.length > 0 && spec.healthMonitorTemplate !== undefined) {
    errors.push(
      forbidden(
        `${path}.healthMonitorTemplate`,
        'may not be set together with healthMonitorRefs',
        'health-monitor.refs-template-exclusive',
      ),
    );
  }
}

/** Reports entries of a list whose `keyField` repeats an earlier entry. */
export function checkUnique(list: unknown, path: string, keyField: string, rule: string, errors: FieldError[]): void {
  const seen = new Set<string>();
  arr(list).forEach((item, i) => {
    const v = str(obj(item)?.[keyField]);
    if (v === undefined || v === '') return;
    if (seen.has(v)) errors.push(duplicate(`${path}[${i}].${keyField}`, v, rule));
    seen.add(v);
  });
}

export function nameOf(o: KubeObject | undefined): string {
  return str(o?.metadata?.name) ?? '';
}
export function namespaceOf(o: KubeObject | undefined): string {
  return str(o?.metadata?.namespace) ?? '';
}

/** Objects of `kind` in avi-system other than the one named `self`. */
export function othersInNamespace(view: ClusterView, kind: KindName, self: { name: string; namespace: string }): KubeObject[] {
  return view
    .list(kind)
    .filter((o) => namespaceOf(o) === AMKO_NAMESPACE && !(nameOf(o) === self.name && namespaceOf(o) === self.namespace));
}

export interface Members {
  gslbConfig: string;
  clusters: string[];
}

/** The member clusters of the GSLBConfig in avi-system, or undefined when there is none. */
export function memberClusters(view: ClusterView): Members | undefined {
  const gc = view.list('GSLBConfig').find((o) => namespaceOf(o) === AMKO_NAMESPACE);
  if (!gc) return undefined;
  const clusters = arr(obj(gc.spec)?.memberClusters)
    .map((m) => str(obj(m)?.clusterContext))
    .filter((c): c is string => !!c);
  return { gslbConfig: nameOf(gc), clusters };
}
