// Rules shared by several kinds (the pool algorithm matrix, the down response,
// health monitor refs vs template, unique and member-cluster lists) and lookups
// into the cluster view.
import { AMKO_NAMESPACE, DOWN_RESPONSE_TYPES, GEO_FALLBACK_ALGORITHMS, LB_ALGORITHMS } from '../api/common.js';
import type { KindName } from '../api/kinds.js';
import { arr, DETAIL, isIPAddress, obj, quoteList, str, warning, type Obj } from './checks.js';
import { isIp } from './cel.js';
import { duplicate, forbidden, invalid, notFound, required, supportedValues, type FieldError } from './field-error.js';
import type { Rule } from './types.js';
import type { ClusterView, KubeObject } from './view.js';

const RR = 'GSLB_ALGORITHM_ROUND_ROBIN';
const CH = 'GSLB_ALGORITHM_CONSISTENT_HASH';
const GEO = 'GSLB_ALGORITHM_GEO';
const FALLBACK_IP = DOWN_RESPONSE_TYPES[2];

const MSG = {
  hashMaskRequired: `required when lbAlgorithm is ${CH}`,
  hashMaskForbidden: `only allowed when lbAlgorithm is ${CH}`,
  geoFallbackRequired: `required when lbAlgorithm is ${GEO}`,
  geoFallbackForbidden: `only allowed when lbAlgorithm is ${GEO}`,
  fallbackHashMaskRequired: `required when geoFallback.lbAlgorithm is ${CH}`,
  fallbackHashMaskForbidden: `not allowed when geoFallback.lbAlgorithm is ${RR}`,
  fallbackIpRequired: `required when type is ${FALLBACK_IP}`,
  fallbackIpForbidden: `only allowed when type is ${FALLBACK_IP}`,
  refsTemplateExclusive: 'may not be set together with healthMonitorRefs',
} as const;

/** `poolAlgorithmSettings`: hashMask only (and always) with CONSISTENT_HASH, geoFallback only (and always) with GEO. */
function checkPoolAlgorithm(settings: unknown, path: string, errors: FieldError[]): void {
  const s = obj(settings);
  if (!s) return;
  const algo = str(s.lbAlgorithm);
  if (s.lbAlgorithm === undefined) {
    errors.push(required(`${path}.lbAlgorithm`, supportedValues(LB_ALGORITHMS), 'pool-algorithm.required'));
  }
  if (algo === CH && s.hashMask === undefined) {
    errors.push(required(`${path}.hashMask`, MSG.hashMaskRequired, 'pool-algorithm.hash-mask'));
  }
  if (algo !== undefined && algo !== CH && s.hashMask !== undefined) {
    errors.push(forbidden(`${path}.hashMask`, MSG.hashMaskForbidden, 'pool-algorithm.hash-mask'));
  }
  if (algo === GEO && s.geoFallback === undefined) {
    errors.push(required(`${path}.geoFallback`, MSG.geoFallbackRequired, 'pool-algorithm.geo-fallback'));
  }
  if (algo !== undefined && algo !== GEO && s.geoFallback !== undefined) {
    errors.push(forbidden(`${path}.geoFallback`, MSG.geoFallbackForbidden, 'pool-algorithm.geo-fallback'));
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
      errors.push(required(`${fpath}.hashMask`, MSG.fallbackHashMaskRequired, 'pool-algorithm.geo-fallback-hash-mask'));
    }
    if (falgo === RR && fb.hashMask !== undefined) {
      errors.push(forbidden(`${fpath}.hashMask`, MSG.fallbackHashMaskForbidden, 'pool-algorithm.geo-fallback-hash-mask'));
    }
  }
}

export const POOL_ALGORITHM: Rule = {
  id: 'pool-algorithm',
  check: (o, _ctx, errors) => checkPoolAlgorithm(obj(o.spec)?.poolAlgorithmSettings, 'spec.poolAlgorithmSettings', errors),
  cel: {
    'spec.poolAlgorithmSettings': [
      { rule: 'has(self.lbAlgorithm)', message: supportedValues(LB_ALGORITHMS), reason: 'FieldValueRequired', fieldPath: '.lbAlgorithm' },
      {
        rule: `!has(self.lbAlgorithm) || self.lbAlgorithm != '${CH}' || has(self.hashMask)`,
        message: MSG.hashMaskRequired,
        reason: 'FieldValueRequired',
        fieldPath: '.hashMask',
      },
      {
        rule: `!has(self.lbAlgorithm) || self.lbAlgorithm == '${CH}' || !has(self.hashMask)`,
        message: MSG.hashMaskForbidden,
        reason: 'FieldValueForbidden',
        fieldPath: '.hashMask',
      },
      {
        rule: `!has(self.lbAlgorithm) || self.lbAlgorithm != '${GEO}' || has(self.geoFallback)`,
        message: MSG.geoFallbackRequired,
        reason: 'FieldValueRequired',
        fieldPath: '.geoFallback',
      },
      {
        rule: `!has(self.lbAlgorithm) || self.lbAlgorithm == '${GEO}' || !has(self.geoFallback)`,
        message: MSG.geoFallbackForbidden,
        reason: 'FieldValueForbidden',
        fieldPath: '.geoFallback',
      },
    ],
    // Checked by the TypeScript only under GEO; otherwise geoFallback is forbidden anyway.
    'spec.poolAlgorithmSettings.geoFallback': [
      { rule: 'has(self.lbAlgorithm)', message: supportedValues(GEO_FALLBACK_ALGORITHMS), reason: 'FieldValueRequired', fieldPath: '.lbAlgorithm' },
      {
        rule: `!has(self.lbAlgorithm) || self.lbAlgorithm != '${CH}' || has(self.hashMask)`,
        message: MSG.fallbackHashMaskRequired,
        reason: 'FieldValueRequired',
        fieldPath: '.hashMask',
      },
      {
        rule: `!has(self.lbAlgorithm) || self.lbAlgorithm != '${RR}' || !has(self.hashMask)`,
        message: MSG.fallbackHashMaskForbidden,
        reason: 'FieldValueForbidden',
        fieldPath: '.hashMask',
      },
    ],
  },
};

/** `downResponse`: fallbackIP required (and a valid IP) for FALLBACK_IP, forbidden for the other types. */
export const DOWN_RESPONSE: Rule = {
  id: 'down-response',
  check(o, _ctx, errors) {
    const path = 'spec.downResponse';
    const d = obj(obj(o.spec)?.downResponse);
    const type = str(d?.type);
    if (!d || type === undefined) return; // missing/invalid type is a schema error
    if (type === FALLBACK_IP) {
      if (d.fallbackIP === undefined || d.fallbackIP === '') {
        errors.push(required(`${path}.fallbackIP`, MSG.fallbackIpRequired, 'down-response.fallback-ip'));
      } else if (typeof d.fallbackIP === 'string' && !isIPAddress(d.fallbackIP)) {
        errors.push(invalid(`${path}.fallbackIP`, d.fallbackIP, DETAIL.ip, 'down-response.fallback-ip'));
      }
    } else if (d.fallbackIP !== undefined) {
      errors.push(forbidden(`${path}.fallbackIP`, MSG.fallbackIpForbidden, 'down-response.fallback-ip'));
    }
  },
  // An empty fallbackIP counts as missing for FALLBACK_IP and as set for the other types.
  cel: {
    'spec.downResponse': [
      {
        rule: `self.type != '${FALLBACK_IP}' || (has(self.fallbackIP) && self.fallbackIP != '')`,
        message: MSG.fallbackIpRequired,
        reason: 'FieldValueRequired',
        fieldPath: '.fallbackIP',
      },
      {
        rule: `self.type != '${FALLBACK_IP}' || !has(self.fallbackIP) || self.fallbackIP == '' || ${isIp('self.fallbackIP')}`,
        message: DETAIL.ip,
        reason: 'FieldValueInvalid',
        fieldPath: '.fallbackIP',
      },
      {
        rule: `self.type == '${FALLBACK_IP}' || !has(self.fallbackIP)`,
        message: MSG.fallbackIpForbidden,
        reason: 'FieldValueForbidden',
        fieldPath: '.fallbackIP',
      },
    ],
  },
};

/** The strings of the list at `spec.<list>` are unique (the CRD: a list of type set). */
export function uniqueStrings(id: string, list: string): Rule {
  return {
    id,
    check(o, _ctx, errors) {
      const seen = new Set<string>();
      arr(obj(o.spec)?.[list]).forEach((v, i) => {
        if (typeof v !== 'string' || v === '') return;
        if (seen.has(v)) errors.push(duplicate(`spec.${list}[${i}]`, v, id));
        seen.add(v);
      });
    },
  };
}

export const HEALTH_MONITOR_REFS_UNIQUE = uniqueStrings('health-monitor.refs-unique', 'healthMonitorRefs');

/** `healthMonitorTemplate` exclusive with a non-empty refs list. */
export const HEALTH_MONITOR_EXCLUSIVE: Rule = {
  id: 'health-monitor.refs-template-exclusive',
  check(o, _ctx, errors) {
    const spec = obj(o.spec);
    if (spec && arr(spec.healthMonitorRefs).length > 0 && spec.healthMonitorTemplate !== undefined) {
      errors.push(forbidden('spec.healthMonitorTemplate', MSG.refsTemplateExclusive, this.id));
    }
  },
  cel: {
    spec: [
      {
        rule: '!has(self.healthMonitorTemplate) || !has(self.healthMonitorRefs) || size(self.healthMonitorRefs) == 0',
        message: MSG.refsTemplateExclusive,
        reason: 'FieldValueForbidden',
        fieldPath: '.healthMonitorTemplate',
      },
    ],
  },
};

/** Entries of the list at `spec.<list>` whose `keyField` repeats an earlier entry (the CRD: a list of type map). */
export function uniqueKeys(id: string, list: string, keyField: string): Rule {
  return {
    id,
    check(o, _ctx, errors) {
      const seen = new Set<string>();
      arr(obj(o.spec)?.[list]).forEach((item, i) => {
        const v = str(obj(item)?.[keyField]);
        if (v === undefined || v === '') return;
        if (seen.has(v)) errors.push(duplicate(`spec.${list}[${i}].${keyField}`, v, id));
        seen.add(v);
      });
    },
  };
}

/**
 * Each `spec.<list>[i].cluster` names a member cluster of the GSLBConfig (or one of `extraAllowed(o)`);
 * warns once if there is no GSLBConfig to check against.
 */
export function memberClustersOnly(id: string, list: string, extraAllowed: (spec: Obj) => readonly string[] = () => []): Rule {
  return {
    id,
    check(o, ctx, errors, warnings) {
      const spec = obj(o.spec);
      const entries = arr(spec?.[list]);
      if (!spec || !ctx.view || entries.length === 0) return;
      const path = `spec.${list}`;
      const extra = extraAllowed(spec);
      const members = memberClusters(ctx.view);
      entries.forEach((e, i) => {
        const c = str(obj(e)?.cluster);
        if (!c || extra.includes(c) || !members || members.clusters.includes(c)) return;
        const what = extra.length ? 'a member cluster or a thirdPartyMembers site' : 'a member cluster';
        errors.push(notFound(`${path}[${i}].cluster`, c, `must be ${what} of GSLBConfig ${members.gslbConfig}: ${quoteList([...members.clusters, ...extra])}`, id));
      });
      if (!members && entries.some((e) => !extra.includes(str(obj(e)?.cluster) ?? ''))) {
        const w = warning(path, 'no GSLBConfig in avi-system yet; member clusters not checked');
        if (!warnings.includes(w)) warnings.push(w);
      }
    },
  };
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

