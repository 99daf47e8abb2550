// Schema pieces shared by several kinds. Each schema here is the single source
// for a TypeScript type (Static<>), the ajv validator and the CRD openAPIV3Schema.
import { Type, type Static, type TSchema } from '@sinclair/typebox';

export const GROUP = 'amko.vmware.com';
export const AMKO_NAMESPACE = 'avi-system';
export const UUID_ANNOTATION = 'amko.vmware.com/amko-uuid';
/** The Avi tenant when the GSLBConfig names none (and Avi's own system tenant). */
export const DEFAULT_TENANT = 'admin';

/**
 * The same schema with its own description. Every node of the four kinds carries one: the CRDs
 * (`kubectl explain`) and the editor JSON Schemas are generated from these texts.
 */
export function described<T extends TSchema>(schema: T, description: string): T {
  return { ...schema, description };
}

/** A string → string map (labels), rendered as additionalProperties for the CRD. */
export const StringMap = (description: string, valueDescription: string) =>
  Type.Unsafe<Record<string, string>>({
    type: 'object',
    description,
    additionalProperties: { type: 'string', description: valueDescription },
  });

/**
 * Loose ObjectMeta: the API server owns its shape; rules read only a few fields. The CRDs carry
 * `metadata` as a bare object (the API server serves ObjectMeta's own documentation there).
 */
export const ObjectMeta = Type.Object(
  {
    name: Type.Optional(Type.String({ description: 'Name of the object, unique in its namespace.' })),
    generateName: Type.Optional(Type.String({ description: 'Prefix from which the API server generates a unique name when name is empty.' })),
    namespace: Type.Optional(Type.String({ description: 'Namespace of the object: avi-system for every AMKO kind.' })),
    uid: Type.Optional(Type.String({ description: 'Unique id set by the API server.' })),
    resourceVersion: Type.Optional(Type.String({ description: 'Version of the object set by the API server, for optimistic concurrency.' })),
    generation: Type.Optional(Type.Integer({ description: 'Sequence number of spec changes, set by the API server.' })),
    labels: Type.Optional(StringMap('Labels of the object.', 'Label value.')),
    annotations: Type.Optional(
      StringMap(
        'Annotations of the object. On the GSLBConfig, amko.vmware.com/amko-uuid holds the UUID of this AMKO installation (objects it creates on the controller are marked created_by amko-<uuid>).',
        'Annotation value.',
      ),
    ),
  },
  { additionalProperties: true, description: 'Standard Kubernetes object metadata.' },
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

/** Avi GSLB pool algorithms, as the algorithm enum's description lists them. */
const ALGORITHMS_TEXT =
  'GSLB_ALGORITHM_ROUND_ROBIN (members in turn, in proportion to their weights), GSLB_ALGORITHM_CONSISTENT_HASH ' +
  '(the same client address to the same member; needs hashMask), GSLB_ALGORITHM_GEO (the member nearest to the client; ' +
  'needs geoFallback) or GSLB_ALGORITHM_TOPOLOGY (the controller\'s topology policy)';

export const HashMask = Type.Integer({
  minimum: 1,
  maximum: 31,
  description: 'Mask applied to the client IP address for the consistent hash, 1-31.',
});
export const Weight = Type.Integer({
  minimum: 1,
  maximum: 20,
  description:
    'Share of the traffic for this cluster\'s members relative to the other members of the same priority, 1-20 ' +
    '(weights 8 and 2 split 80:20). Default 1.',
});
export const Priority = Type.Integer({
  minimum: 0,
  maximum: 100,
  description:
    'Priority of this cluster\'s members, 0-100, default 10. Members are grouped by priority; traffic goes to the ' +
    'highest-priority group that has a member up, lower groups get traffic only while every higher one is down.',
});
export const Ttl = Type.Integer({ minimum: 1, maximum: 86400 });

export const GeoFallback = Type.Object(
  {
    lbAlgorithm: Type.Optional(
      StringEnum(GEO_FALLBACK_ALGORITHMS, {
        description: 'Fallback algorithm: GSLB_ALGORITHM_ROUND_ROBIN or GSLB_ALGORITHM_CONSISTENT_HASH (needs hashMask). Required.',
      }),
    ),
    hashMask: Type.Optional(
      described(HashMask, 'Mask applied to the client IP address for the consistent hash, 1-31. Required with GSLB_ALGORITHM_CONSISTENT_HASH, not allowed with GSLB_ALGORITHM_ROUND_ROBIN.'),
    ),
  },
  {
    additionalProperties: false,
    description: 'Algorithm used when the client\'s location is not known. Required with GSLB_ALGORITHM_GEO, not allowed with the other algorithms.',
  },
);

export const PoolAlgorithmSettings = Type.Object(
  {
    lbAlgorithm: Type.Optional(StringEnum(LB_ALGORITHMS, { description: `Load-balancing algorithm: ${ALGORITHMS_TEXT}. Required.` })),
    hashMask: Type.Optional(
      described(HashMask, 'Mask applied to the client IP address for the consistent hash, 1-31. Required with GSLB_ALGORITHM_CONSISTENT_HASH, not allowed with the other algorithms.'),
    ),
    geoFallback: Type.Optional(GeoFallback),
  },
  {
    additionalProperties: false,
    description: 'How the GslbService pool spreads the DNS answers over its members. Not set: GSLB_ALGORITHM_ROUND_ROBIN.',
  },
);
export type PoolAlgorithmSettings = Static<typeof PoolAlgorithmSettings>;

export const DownResponse = Type.Object(
  {
    type: StringEnum(DOWN_RESPONSE_TYPES, {
      description:
        'The answer: GSLB_SERVICE_DOWN_RESPONSE_NONE (the controller\'s default), GSLB_SERVICE_DOWN_RESPONSE_ALL_RECORDS ' +
        '(the addresses of all members, although down), GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP (fallbackIP) or ' +
        'GSLB_SERVICE_DOWN_RESPONSE_EMPTY (an empty answer). Required.',
    }),
    fallbackIP: Type.Optional(
      Type.String({
        description: 'IPv4 or IPv6 address to answer with. Required with GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP, not allowed with the other types.',
      }),
    ),
  },
  {
    additionalProperties: false,
    description: 'What the DNS service answers for a GslbService whose members are all down. Not set: the controller\'s default (GSLB_SERVICE_DOWN_RESPONSE_NONE).',
  },
);
export type DownResponse = Static<typeof DownResponse>;

export const TrafficSplitEntry = Type.Object(
  {
    cluster: Type.String({
      minLength: 1,
      description: 'Cluster context of a member cluster (one of the GSLBConfig memberClusters). Required and unique in the list.',
    }),
    weight: Type.Optional(Weight),
    priority: Type.Optional(Priority),
  },
  { additionalProperties: false, description: 'Weight and priority of one cluster\'s members.' },
);
export type TrafficSplitEntry = Static<typeof TrafficSplitEntry>;

/** The descriptions of a kind's top-level nodes. */
export interface ResourceDescriptions {
  /** What the kind is for (`kubectl explain <kind>`). */
  kind: string;
  /** How it relates to the rest of the product (status). */
  status: string;
}

/** Wraps a spec schema into a whole custom-resource schema. */
export function resourceSchema<S extends TSchema, T extends TSchema>(
  spec: S,
  status: T,
  descriptions: ResourceDescriptions,
  specRequired = true,
) {
  return Type.Object(
    {
      apiVersion: Type.Optional(
        Type.String({ description: 'Versioned schema of this representation of the object: amko.vmware.com/<version>.' }),
      ),
      kind: Type.Optional(Type.String({ description: 'Kind of the object (the REST resource it represents).' })),
      metadata: Type.Optional(ObjectMeta),
      spec: specRequired ? spec : Type.Optional(spec),
      status: Type.Optional(described(status, descriptions.status)),
    },
    { additionalProperties: false, description: descriptions.kind },
  );
}
