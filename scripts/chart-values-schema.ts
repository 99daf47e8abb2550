// `npm run chart-schema` (also run by `npm run crds`): writes charts/amko/values.schema.json.
// The values that render into the GSLBConfig, the GlobalDeploymentPolicy and the AMKOCluster
// take their schema from the kinds' generated JSON Schemas (src/api/json-schema.ts: the API
// types with the CRD bounds), so the chart accepts what the CRDs accept; the chart's own
// values are declared here. test/chart/values-schema.test.ts fails when the committed file is
// stale. Run `npm run chart-docs` afterwards: the README's values table reads this file.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { editorSchema, type JsonSchema } from '../src/api/json-schema.js';
import type { KindName } from '../src/api/kinds.js';
import { RE } from '../src/rules/cel.js';

export const VALUES_SCHEMA_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../charts/amko/values.schema.json');

/** Drops what the chart documents elsewhere (values.yaml comments and defaults). */
function bare(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(bare);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([k]) => k !== 'description' && k !== 'default')
      .map(([k, v]) => [k, k === 'properties' ? Object.fromEntries(Object.entries(v as JsonSchema).map(([p, c]) => [p, bare(c)])) : bare(v)]),
  );
}

/** The schema node of `kind` at `path` ("spec.x", "spec.list[]"). */
function api(kind: KindName, p: string): JsonSchema {
  let node = editorSchema(kind);
  for (const seg of p.split('.')) {
    const list = seg.endsWith('[]');
    node = (node.properties as Record<string, JsonSchema> | undefined)?.[list ? seg.slice(0, -2) : seg] as JsonSchema;
    if (node && list) node = node.items as JsonSchema;
    if (!node) throw new Error(`chart-schema: ${kind} has no ${p}`);
  }
  return bare(node) as JsonSchema;
}

/** A string value where "" leaves the field out of the rendered object. */
const orEmpty = (node: JsonSchema): JsonSchema => {
  const { minLength: _, ...rest } = node;
  return rest;
};
/** An object value where {} leaves the field out of the rendered object. */
const orEmptyObject = (node: JsonSchema): JsonSchema => {
  const { required: _, ...rest } = node;
  return rest;
};
/** A value where null leaves the field out of the rendered object. */
const orNull = (node: JsonSchema): JsonSchema => ({ ...node, type: [node.type, 'null'] });
/** An optional pattern-checked string: "" or a match of the RE2 expression `re` (written ^…$). */
const emptyOr = (re: string): JsonSchema => ({ type: 'string', pattern: `^$|${re}` });

const DURATION = { type: 'string', pattern: '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$' };
const K8S_NAME = { type: 'string', pattern: RE.dns1123Subdomain, maxLength: 253 };
const PORT = { type: 'integer', minimum: 1, maximum: 65535 };
const CIDRS = { type: 'array', items: { type: 'string', pattern: '^[0-9A-Fa-f:.]+/[0-9]{1,3}$' } };
const STRING_MAP = { type: 'object', additionalProperties: { type: 'string' } };


/** Values rendered into the GSLBConfig gc-1 (templates/gslbconfig.yaml). */
function configs(): JsonSchema {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['memberClusters', 'refreshInterval', 'logLevel'],
    properties: {
      controllerVersion: emptyOr(RE.version),
      // "" renders no GSLBConfig; the CRD's CEL rules check the address itself.
      gslbLeaderController: { type: 'string', pattern: '^[^\\s/]*$', description: 'IP or hostname[:port] of the GSLB leader controller' },
      controllerCA: { type: 'string', pattern: '^(|[\\s\\S]*-----BEGIN CERTIFICATE-----[\\s\\S]*)$' },
      tenant: { ...api('GSLBConfig', 'spec.gslbLeader.tenant'), minLength: 1 },
      memberClusters: api('GSLBConfig', 'spec.memberClusters'),
      refreshInterval: api('GSLBConfig', 'spec.refreshInterval'),
      domainNames: {
        type: 'array',
        items: { type: 'string', pattern: '^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*$' },
      },
      logLevel: api('GSLBConfig', 'spec.logLevel'),
      useCustomGlobalFqdn: api('GSLBConfig', 'spec.useCustomGlobalFqdn'),
      amkoUUID: emptyOr(RE.uuid),
    },
  };
}

/** Values rendered into the GlobalDeploymentPolicy global-gdp (templates/gdp.yaml). */
function gdpConfig(): JsonSchema {
  const gdp = (p: string) => api('GlobalDeploymentPolicy', `spec.${p}`);
  /** A selector, its label values checked as the label-value rule does (the keys are left to the CRD). */
  const selector = (p: string): JsonSchema => {
    const node = gdp(p) as { properties: { label: { additionalProperties: JsonSchema } } };
    node.properties.label.additionalProperties.pattern = RE.qualifiedName;
    return node;
  };
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      appSelector: selector('matchRules.appSelector'),
      namespaceSelector: selector('matchRules.namespaceSelector'),
      // A cluster context alone, or the matchClusters entry.
      matchClusters: { type: 'array', items: { oneOf: [{ type: 'string', minLength: 1 }, gdp('matchClusters[]')] } },
      trafficSplit: gdp('trafficSplit'),
      ttl: orNull(gdp('ttl')),
      healthMonitorRefs: gdp('healthMonitorRefs'),
      healthMonitorTemplate: orEmpty(gdp('healthMonitorTemplate')),
      sitePersistenceRef: orEmpty(gdp('sitePersistenceRef')),
      pkiProfileRef: orEmpty(gdp('pkiProfileRef')),
      poolAlgorithmSettings: orEmptyObject(gdp('poolAlgorithmSettings')),
      downResponse: orEmptyObject(gdp('downResponse')),
      controlPlaneHmOnly: gdp('controlPlaneHmOnly'),
    },
    // The rule health-monitor.refs-template-exclusive, on the values ("" and [] render nothing).
    not: {
      required: ['healthMonitorRefs', 'healthMonitorTemplate'],
      properties: { healthMonitorRefs: { minItems: 1 }, healthMonitorTemplate: { minLength: 1 } },
    },
  };
}

/** Values rendered into the AMKOCluster amkocluster-federation (templates/amkocluster.yaml). */
function federation(): JsonSchema {
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      enabled: { type: 'boolean' },
      currentCluster: api('AMKOCluster', 'spec.clusterContext'),
      currentClusterIsLeader: api('AMKOCluster', 'spec.isLeader'),
      memberClusters: api('AMKOCluster', 'spec.clusters'),
    },
  };
}

/** The chart's values schema. */
export function valuesSchema(): JsonSchema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'amko chart values',
    type: 'object',
    required: ['replicaCount', 'image', 'configs', 'gslbLeaderCredentials', 'gdpConfig', 'webhook', 'certificates'],
    properties: {
      replicaCount: { type: 'integer', minimum: 1, maximum: 10 },
      leaderElection: {
        type: 'object',
        additionalProperties: false,
        required: ['leaseDuration', 'renewDeadline', 'retryPeriod'],
        description: 'Leader election of the sync worker; leaseDuration > renewDeadline > retryPeriod',
        properties: {
          leaseDuration: DURATION,
          renewDeadline: DURATION,
          retryPeriod: DURATION,
        },
      },
      image: {
        type: 'object',
        additionalProperties: false,
        required: ['repository'],
        properties: {
          repository: { type: 'string', minLength: 1 },
          tag: { type: 'string' },
          pullPolicy: { enum: ['Always', 'IfNotPresent', 'Never'] },
        },
      },
      imagePullSecrets: {
        type: 'array',
        items: { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1 } } },
      },
      configs: configs(),
      gslbLeaderCredentials: {
        type: 'object',
        additionalProperties: false,
        properties: { username: { type: 'string' }, password: { type: 'string' } },
      },
      gdpConfig: gdpConfig(),
      federation: federation(),
      memberKubeconfig: {
        type: 'object',
        additionalProperties: false,
        required: ['secretName', 'key'],
        properties: {
          secretName: K8S_NAME,
          key: { type: 'string', pattern: '^[-._a-zA-Z0-9]+$' },
        },
      },
      webhook: {
        type: 'object',
        additionalProperties: false,
        required: ['failurePolicy', 'timeoutSeconds', 'validatingName', 'mutatingName'],
        properties: {
          failurePolicy: { enum: ['Fail', 'Ignore'] },
          timeoutSeconds: { type: 'integer', minimum: 1, maximum: 30 },
          validatingName: K8S_NAME,
          mutatingName: K8S_NAME,
        },
      },
      certificates: {
        type: 'object',
        additionalProperties: false,
        required: ['mode', 'secretName'],
        properties: {
          mode: { enum: ['selfManaged', 'values', 'existingSecret'] },
          secretName: K8S_NAME,
          existingSecret: { type: 'string' },
          caCrt: { type: 'string' },
          tlsCrt: { type: 'string' },
          tlsKey: { type: 'string' },
          caLifetime: DURATION,
          servingLifetime: DURATION,
          caOverlap: DURATION,
        },
        allOf: [
          {
            if: { properties: { mode: { const: 'values' } } },
            then: { properties: { caCrt: { minLength: 1 }, tlsCrt: { minLength: 1 }, tlsKey: { minLength: 1 } } },
          },
          {
            if: { properties: { mode: { const: 'existingSecret' } } },
            then: { properties: { existingSecret: { minLength: 1 } } },
          },
        ],
      },
      service: {
        type: 'object',
        additionalProperties: false,
        properties: { port: PORT },
      },
      server: {
        type: 'object',
        additionalProperties: false,
        properties: {
          port: { type: 'integer', minimum: 1024, maximum: 65535 },
          // --webhook-workers: a number, or "auto"/empty (the server's default from limits.cpu).
          webhookWorkers: { oneOf: [{ type: 'integer', minimum: 1, maximum: 64 }, { enum: ['', 'auto'] }] },
        },
      },
      serviceAccount: {
        type: 'object',
        additionalProperties: false,
        properties: {
          create: { type: 'boolean' },
          name: { type: 'string' },
          annotations: STRING_MAP,
        },
      },
      podAnnotations: STRING_MAP,
      podLabels: STRING_MAP,
      nodeSelector: STRING_MAP,
      tolerations: { type: 'array' },
      affinity: { type: 'object' },
      priorityClassName: { type: 'string' },
      resources: { type: 'object' },
      podDisruptionBudget: {
        type: 'object',
        additionalProperties: false,
        properties: { enabled: { type: 'boolean' }, minAvailable: { type: ['integer', 'string'] } },
      },
      metrics: {
        type: 'object',
        additionalProperties: false,
        properties: {
          serviceMonitor: {
            type: 'object',
            additionalProperties: false,
            properties: {
              enabled: { type: 'boolean' },
              labels: STRING_MAP,
              interval: DURATION,
              scrapeTimeout: DURATION,
              tlsConfig: { type: 'object' },
            },
          },
          prometheusRule: {
            type: 'object',
            additionalProperties: false,
            properties: {
              enabled: { type: 'boolean' },
              labels: STRING_MAP,
              selector: { type: 'string' },
              webhookLatencySeconds: { type: 'number', exclusiveMinimum: 0, maximum: 30 },
              webhookErrorRatio: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
              certificateExpiryDays: { type: 'number', exclusiveMinimum: 0 },
              additionalAlertLabels: STRING_MAP,
            },
          },
          grafanaDashboard: {
            type: 'object',
            additionalProperties: false,
            properties: {
              enabled: { type: 'boolean' },
              labels: STRING_MAP,
              annotations: STRING_MAP,
            },
          },
        },
      },
      networkPolicy: {
        type: 'object',
        additionalProperties: false,
        properties: {
          enabled: { type: 'boolean' },
          ingressFrom: { type: 'array', items: { type: 'object' } },
          dns: {
            type: 'object',
            additionalProperties: false,
            properties: {
              namespace: { type: 'string', minLength: 1 },
              podLabels: STRING_MAP,
              port: PORT,
            },
          },
          apiServer: {
            type: 'object',
            additionalProperties: false,
            properties: {
              cidrs: CIDRS,
              ports: { type: 'array', minItems: 1, items: PORT },
            },
          },
          aviController: {
            type: 'object',
            additionalProperties: false,
            properties: {
              cidrs: CIDRS,
              ports: { type: 'array', minItems: 1, items: PORT },
            },
          },
          memberClusters: {
            type: 'object',
            additionalProperties: false,
            properties: {
              cidrs: CIDRS,
              ports: { type: 'array', minItems: 1, items: PORT },
            },
          },
          extraEgress: { type: 'array', items: { type: 'object' } },
        },
        if: { properties: { enabled: { const: true } }, required: ['enabled'] },
        then: {
          properties: {
            apiServer: { properties: { cidrs: { minItems: 1 } } },
            aviController: { properties: { cidrs: { minItems: 1 } } },
          },
        },
      },
    },
  };
}

/** The file content: two-space indent, trailing newline. */
export function valuesSchemaJson(): string {
  return `${JSON.stringify(valuesSchema(), null, 2)}\n`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(VALUES_SCHEMA_PATH, valuesSchemaJson());
  process.stdout.write(`${VALUES_SCHEMA_PATH}\n`);
}
