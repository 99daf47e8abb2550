// Schema pieces shared by several kinds. Each schema here is the single source
// for a TypeScript type (Static<>), the ajv validator and the CRD openAPIV3Schema.
import { Type, type Static, type TSchema } from '@sinclair/typebox';

export const GROUP = 'amko.vmware.com';
export const AMKO_NAMESPACE = 'avi-system';
export const UUID_ANNOTATION = 'amko.vmware.com/amko-uuid';

/** A string → string map (labels), rendered as additionalProperties for the CRD. */
export const StringMap = Type.Unsafe<Record<string, string>>({
  type: 'object',
  additionalProperties: { type: 'string' },
});

/** Loose ObjectMeta: the API server owns its shape; rules read only a few fields. */
export const ObjectMeta = Type.Object(
  {
    name: Type.Optional(Type.String()),
    generateName: Type.Optional(Type.String()),
    namespace: Type.Optional(Type.String()),
    uid: Type.Optional(Type.String()),
    resourceVersion: Type.Optional(Type.String()),
    generation: Type.Optional(Type.Integer()),
    labels: Type.Optional(StringMap),
    annotations: Type.Optional(StringMap),
  },
  { additionalProperties: true },
);
export type ObjectMeta = Static<typeof ObjectMeta>;

export const LB_ALGORITHMS = [
  'GSLB_ALGORITHM_ROUND_ROBIN',
  'GSLB_ALGORITHM_CONSISTENT_HASH',
  'GSLB_ALGORITHM_GEO',
  'GSLB_ALGORITHM_TOPOLOGY',
] as const;
export const GEO_FALLBACK_ALGORITHMS = ['GSLB_ALGORITHM_ROUND_ROBIN', 'GSLB_ALGORITHM_CONSISTENT_HASH'] as const;
export const DOWN_RESPONSE_TYPES = [
  'GSLB_SERVICE_DOWN_RESPONSE_NONE',
  'GSLB_SERVICE_DOWN_RESPONSE_ALL_RECORDS',
  'GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP',
  'GSLB_SERVICE_DOWN_RESPONSE_EMPTY',
] as const;

export function StringEnum<T extends readonly string[]>(values: T, options: Record<string, unknown> = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

/** A string that must not be empty when present (an empty value is reported as `Required value`). */
export const NonEmptyString = (options: Record<string, unknown> = {}) => Type.String({ minLength: 1, ...options });

export const HashMask = Type.Integer({ minimum: 1, maximum: 31 });
export const Weight = Type.Integer({ minimum: 1, maximum: 20 });
export const Priority = Type.Integer({ minimum: 0, maximum: 100 });
export const Ttl = Type.Integer({ minimum: 1, maximum: 86400 });

export const GeoFallback = Type.Object(
  {
    lbAlgorithm: Type.Optional(StringEnum(GEO_FALLBACK_ALGORITHMS)),
    hashMask: Type.Optional(HashMask),
  },
  { additionalProperties: false },
);

export const PoolAlgorithmSettings = Type.Object(
  {
    lbAlgorithm: Type.Optional(StringEnum(LB_ALGORITHMS)),
    hashMask: Type.Optional(HashMask),
    geoFallback: Type.Optional(GeoFallback),
  },
  { additionalProperties: false },
);
export type PoolAlgorithmSettings = Static<typeof PoolAlgorithmSettings>;

export const DownResponse = Type.Object(
  {
    type: StringEnum(DOWN_RESPONSE_TYPES),
    fallbackIP: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type DownResponse = Static<typeof DownResponse>;

export const TrafficSplitEntry = Type.Object(
  {
    cluster: Type.String({ minLength: 1 }),
    weight: Type.Optional(Weight),
    priority: Type.Optional(Priority),
  },
  { additionalProperties: false },
);
export type TrafficSplitEntry = Static<typeof TrafficSplitEntry>;

/** Wraps a spec schema into a whole custom-resource schema. */
export function resourceSchema<S extends TSchema, T extends TSchema>(spec: S, status: T, specRequired = true) {
  return Type.Object(
    {
      apiVersion: Type.Optional(Type.String()),
      kind: Type.Optional(Type.String()),
      metadata: Type.Optional(ObjectMeta),
      spec: specRequired ? spec : Type.Optional(spec),
      status: Type.Optional(status),
    },
    { additionalProperties: false },
  );
}
