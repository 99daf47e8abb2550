// JSON Schemas of the four kinds for editors and offline validators
// (yaml-language-server, kubeconform), generated from the same source as the
// CRDs: each kind's openAPIV3Schema (descriptions, types, enums, ranges,
// defaults) with the TypeBox schema's closed objects (additionalProperties:
// false, so an editor flags a misspelt field), apiVersion and kind pinned, and
// the Kubernetes-only keywords dropped (CEL rules, list-map keys) or translated
// (list-type set -> uniqueItems). Never edit schemas/ by hand: run `npm run crds`.
import { GROUP } from './common.js';
import { KINDS, type KindName } from './kinds.js';
import { openApiSchema, type JSONSchemaProps } from './crd.js';

export type JsonSchema = Record<string, unknown>;
type TypeBoxNode = {
  properties?: Record<string, TypeBoxNode>;
  items?: TypeBoxNode;
  additionalProperties?: boolean | TypeBoxNode;
};

/** kubeconform's CRD schema layout: `{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json` (kind lower-case). */
export function jsonSchemaFileName(kind: KindName): string {
  return `${kind.toLowerCase()}_${KINDS[kind].version}.json`;
}

function convert(node: JSONSchemaProps, source: TypeBoxNode | undefined): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'properties') {
      out.properties = Object.fromEntries(
        Object.entries(value as Record<string, JSONSchemaProps>).map(([name, child]) => [name, convert(child, source?.properties?.[name])]),
      );
    } else if (key === 'items') {
      out.items = convert(value as JSONSchemaProps, source?.items);
    } else if (key === 'additionalProperties') {
      const sub = typeof source?.additionalProperties === 'object' ? source.additionalProperties : undefined;
      out.additionalProperties = convert(value as JSONSchemaProps, sub);
    } else if (key === 'x-kubernetes-list-type') {
      if (value === 'set') out.uniqueItems = true;
    } else if (!key.startsWith('x-kubernetes-')) {
      out[key] = value;
    }
  }
  if (node.type === 'object' && node.properties && source?.additionalProperties === false) out.additionalProperties = false;
  return out;
}

/** The editor JSON Schema (draft-07) of one kind. */
export function editorSchema(kind: KindName): JsonSchema {
  const info = KINDS[kind];
  const source = JSON.parse(JSON.stringify(info.schema)) as TypeBoxNode & { properties: Record<string, TypeBoxNode> };
  const schema = convert(openApiSchema(kind), source);
  const properties = schema.properties as Record<string, JsonSchema>;
  const apiVersion = `${GROUP}/${info.version}`;
  properties.apiVersion = { ...properties.apiVersion, enum: [apiVersion] };
  properties.kind = { ...properties.kind, enum: [kind] };
  // The CRD leaves metadata to the API server; editors get the fields of ObjectMeta this product reads.
  properties.metadata = source.properties.metadata as JsonSchema;
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: `${kind} (${apiVersion})`,
    ...schema,
    required: ['apiVersion', 'kind', ...((schema.required as string[] | undefined) ?? [])],
  };
}

/** The file content: stable key order, two-space indent, trailing newline. */
export function editorSchemaJson(kind: KindName): string {
  return `${JSON.stringify(editorSchema(kind), null, 2)}\n`;
}
