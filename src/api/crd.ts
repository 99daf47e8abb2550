// CustomResourceDefinitions generated from the TypeBox schemas in KINDS plus
// the overlay of src/rules/crd-overlay.ts (CEL forms of the rule catalogue, the
// defaults table, list types and bounds).
// Never edit charts/amko/crds/ by hand: run `npm run crds`.
import YAML from 'yaml';
import { GROUP } from './common.js';
import { KINDS, KIND_NAMES, type KindName } from './kinds.js';
import type { KindOverlay } from './crd-bounds.js';
import { CRD_OVERLAY } from '../rules/crd-overlay.js';
import { ConditionType } from './amkocluster.js';

/** The subset of apiextensions.k8s.io/v1 JSONSchemaProps we emit. */
export interface JSONSchemaProps {
  type?: string;
  description?: string;
  properties?: Record<string, JSONSchemaProps>;
  required?: string[];
  items?: JSONSchemaProps;
  additionalProperties?: JSONSchemaProps;
  enum?: unknown[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  pattern?: string;
  format?: string;
  'x-kubernetes-validations'?: unknown[];
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  priority?: number;
}

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    group: string;
    names: { kind: string; listKind: string; plural: string; singular: string; shortNames?: string[]; categories: string[] };
    scope: 'Namespaced';
    versions: Array<{
      name: string;
      served: true;
      storage: true;
      schema: { openAPIV3Schema: JSONSchemaProps };
      subresources: { status: Record<string, never> };
      additionalPrinterColumns: PrinterColumn[];
    }>;
  };
}

const AGE: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

/** `kubectl get` columns: whether the object was accepted and why not, at a glance. */
export const PRINTER_COLUMNS: Record<KindName, PrinterColumn[]> = {
  GSLBConfig: [
    { name: 'Leader', type: 'string', jsonPath: '.spec.gslbLeader.controllerIP', description: 'GSLB leader controller' },
    { name: 'State', type: 'string', jsonPath: '.status.state', description: 'Acceptance state or error' },
    AGE,
  ],
  GlobalDeploymentPolicy: [
    { name: 'Status', type: 'string', jsonPath: '.status.errorStatus', description: '"success" or the error' },
    { name: 'Skipped', type: 'integer', jsonPath: '.status.skippedMembers', description: 'Selected objects not synced (see their Events)' },
    AGE,
  ],
  GSLBHostRule: [
    { name: 'FQDN', type: 'string', jsonPath: '.spec.fqdn' },
    { name: 'Status', type: 'string', jsonPath: '.status.status', description: 'Accepted or Rejected' },
    { name: 'Error', type: 'string', jsonPath: '.status.error', description: 'Why the rule was rejected' },
    AGE,
  ],
  AMKOCluster: [
    { name: 'Context', type: 'string', jsonPath: '.spec.clusterContext' },
    { name: 'Leader', type: 'boolean', jsonPath: '.spec.isLeader' },
    { name: 'Federation', type: 'string', jsonPath: `.status.conditions[?(@.type=='${ConditionType.GSLBConfigFederated}')].status`, description: 'GSLBConfigFederated condition' },
    AGE,
  ],
};

/** Keywords copied unchanged from the TypeBox (JSON Schema) node. */
const COPIED = [
  'type',
  'description',
  'enum',
  'default',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'pattern',
  'format',
] as const;

/** Keywords that carry no meaning for a structural schema and are dropped. */
const IGNORED = new Set(['$id', '$schema', 'title', 'examples']);

type Node = Record<string, unknown>;

function walk(node: Node, path: string, overlay: KindOverlay, used: Set<string>): JSONSchemaProps {
  const out: JSONSchemaProps = {};
  // metadata belongs to the API server: type only.
  if (path === 'metadata') return { type: 'object' };

  for (const [key, value] of Object.entries(node)) {
    if ((COPIED as readonly string[]).includes(key)) {
      (out as Record<string, unknown>)[key] = value;
    } else if (key === 'properties') {
      out.properties = {};
      for (const [name, child] of Object.entries(value as Record<string, Node>)) {
        out.properties[name] = walk(child, path ? `${path}.${name}` : name, overlay, used);
      }
    } else if (key === 'required') {
      if ((value as string[]).length) out.required = [...(value as string[])];
    } else if (key === 'items') {
      out.items = walk(value as Node, `${path}[]`, overlay, used);
    } else if (key === 'additionalProperties') {
      // Structural schemas forbid `additionalProperties: false` (pruning does that job)
      // and `true`; a schema (string maps) is kept.
      if (typeof value === 'object' && value !== null) out.additionalProperties = walk(value as Node, `${path}{}`, overlay, used);
    } else if (!IGNORED.has(key)) {
      throw new Error(`crd: unsupported schema keyword "${key}" at ${path || '<root>'}`);
    }
  }

  const extra = overlay[path];
  if (extra) {
    used.add(path);
    Object.assign(out, structuredClone(extra));
  }
  return out;
}

/** The structural openAPIV3Schema of one kind (TypeBox schema + overlay). Throws on an overlay path that matches nothing. */
export function openApiSchema(kind: KindName): JSONSchemaProps {
  const overlay = CRD_OVERLAY[kind];
  const used = new Set<string>();
  const schema = walk(KINDS[kind].schema as unknown as Node, '', overlay, used);
  const unused = Object.keys(overlay).filter((p) => !used.has(p));
  if (unused.length) throw new Error(`crd: overlay paths for ${kind} match no schema node: ${unused.join(', ')}`);
  checkListMapKeys(schema, kind);
  return schema;
}

/** x-kubernetes-list-type: map needs each key to be a required (or defaulted) scalar of the items. */
function checkListMapKeys(node: JSONSchemaProps, where: string): void {
  if (node['x-kubernetes-list-type'] === 'map') {
    for (const k of node['x-kubernetes-list-map-keys'] ?? []) {
      const item = node.items;
      if (!item?.properties?.[k] || !(item.required?.includes(k) || item.properties[k].default !== undefined)) {
        throw new Error(`crd: ${where}: list-map key "${k}" must be a required property of the items`);
      }
    }
  }
  for (const [name, child] of Object.entries(node.properties ?? {})) checkListMapKeys(child, `${where}.${name}`);
  if (node.items) checkListMapKeys(node.items, `${where}[]`);
}

export function crdName(kind: KindName): string {
  return `${KINDS[kind].plural}.${GROUP}`;
}

export function buildCrd(kind: KindName): CustomResourceDefinition {
  const k = KINDS[kind];
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: crdName(kind),
      labels: { 'app.kubernetes.io/name': 'amko', 'app.kubernetes.io/part-of': 'amko' },
    },
    spec: {
      group: GROUP,
      names: {
        kind: k.kind,
        listKind: k.listKind,
        plural: k.plural,
        singular: k.singular,
        ...(k.shortNames.length ? { shortNames: [...k.shortNames] } : {}),
        categories: ['amko'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: k.version,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: openApiSchema(kind) },
          subresources: { status: {} },
          additionalPrinterColumns: PRINTER_COLUMNS[kind],
        },
      ],
    },
  };
}

export function buildCrds(): CustomResourceDefinition[] {
  return KIND_NAMES.map(buildCrd);
}

const HEADER = '# Generated by `amko crds` from src/api (TypeBox schemas) and src/rules (rule catalogue, defaults). Do not edit.\n';

/** One CRD as a YAML document (deterministic: fixed key order, no line folding). */
export function crdYaml(kind: KindName): string {
  return HEADER + YAML.stringify(buildCrd(kind), { lineWidth: 0, aliasDuplicateObjects: false });
}

/** All four CRDs as one multi-document YAML stream. */
export function crdsYaml(): string {
  return KIND_NAMES.map((k) => crdYaml(k)).join('---\n');
}

/** File name of a kind's CRD in charts/amko/crds/. */
export function crdFileName(kind: KindName): string {
  return `${GROUP}_${KINDS[kind].plural}.yaml`;
}
