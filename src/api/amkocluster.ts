import { Type, type Static } from '@sinclair/typebox';
import { NonEmptyString, resourceSchema } from './common.js';

export const AMKOClusterSpec = Type.Object(
  {
    isLeader: Type.Optional(Type.Boolean()),
    clusterContext: NonEmptyString(),
    version: NonEmptyString(),
    clusters: Type.Optional(Type.Array(NonEmptyString())),
  },
  { additionalProperties: false },
);
export type AMKOClusterSpec = Static<typeof AMKOClusterSpec>;

/** Standard Kubernetes Condition (metav1.Condition). */
export const Condition = Type.Object(
  {
    type: Type.String(),
    status: Type.String(),
    reason: Type.Optional(Type.String()),
    message: Type.Optional(Type.String()),
    lastTransitionTime: Type.Optional(Type.String()),
    observedGeneration: Type.Optional(Type.Integer()),
  },
  { additionalProperties: false },
);
export type Condition = Static<typeof Condition>;

export const AMKOClusterStatus = Type.Object(
  { conditions: Type.Optional(Type.Array(Condition)) },
  { additionalProperties: false },
);

export const AMKOClusterSchema = resourceSchema(AMKOClusterSpec, AMKOClusterStatus, false);
export type AMKOCluster = Static<typeof AMKOClusterSchema>;
