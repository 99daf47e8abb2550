import { Type, type Static } from '@sinclair/typebox';
import { NonEmptyString, resourceSchema } from './common.js';

export const AMKOClusterSpec = Type.Object(
  {
    isLeader: Type.Optional(
      Type.Boolean({
        description:
          'true: this AMKO is the leader: it syncs to the Avi controller and copies its GSLBConfig and ' +
          'GlobalDeploymentPolicy to the other clusters. false: a follower that does neither. Only one leader is allowed. Default false.',
      }),
    ),
    clusterContext: NonEmptyString({
      description: 'Context of this cluster in the member-cluster kubeconfig. Required; one of clusters.',
    }),
    version: NonEmptyString({
      description: 'AMKO version of this installation; every AMKO of the federation must have the same. Required.',
    }),
    clusters: Type.Optional(
      Type.Array(NonEmptyString({ description: 'Context of a cluster in the member-cluster kubeconfig.' }), {
        description: 'Contexts of every cluster of the federation, this one included. Unique.',
      }),
    ),
  },
  { additionalProperties: false, description: 'This cluster\'s role in the federation and the clusters that belong to it.' },
);
export type AMKOClusterSpec = Static<typeof AMKOClusterSpec>;

/** Standard Kubernetes Condition (metav1.Condition). */
/** The five condition types the federator maintains, in display order. */
export const ConditionType = {
  /** The AMKOCluster object itself passes the sanity checks (namespace, clusterContext, version, singleton). */
  Valid: 'Valid',
  /** A client could be built for every member cluster context. */
  MemberClientsReady: 'MemberClientsReady',
  /** Every member has exactly one AMKOCluster, the same version, and is not a leader. */
  MembersValidated: 'MembersValidated',
  /** The leader's GSLBConfig objects are copied to every valid member. */
  GSLBConfigFederated: 'GSLBConfigFederated',
  /** The leader's GlobalDeploymentPolicy objects are copied to every valid member. */
  GDPFederated: 'GDPFederated',
} as const;
export type ConditionType = (typeof ConditionType)[keyof typeof ConditionType];

export const Condition = Type.Object(
  {
    type: Type.String({
      description: 'The step: Valid, MemberClientsReady, MembersValidated, GSLBConfigFederated or GDPFederated.',
    }),
    status: Type.String({ description: 'True, False or Unknown.' }),
    reason: Type.Optional(Type.String({ description: 'CamelCase reason for the status (e.g. NotLeader, SomeClientsFailed).' })),
    message: Type.Optional(Type.String({ description: 'Details in human-readable form.' })),
    lastTransitionTime: Type.Optional(Type.String({ description: 'When the condition last changed.' })),
    observedGeneration: Type.Optional(Type.Integer({ description: 'metadata.generation the condition was computed from.' })),
  },
  { additionalProperties: false, description: 'One step of the last federation run.' },
);
export type Condition = Static<typeof Condition>;

export const AMKOClusterStatus = Type.Object(
  {
    conditions: Type.Optional(
      Type.Array(Condition, {
        description: 'One condition per federation step of the last run, by type.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const AMKOClusterSchema = resourceSchema(
  AMKOClusterSpec,
  AMKOClusterStatus,
  {
    kind:
      'AMKOCluster configures the federation of AMKO installations: the leader copies its GSLBConfig and ' +
      'GlobalDeploymentPolicy to the follower clusters, which stand by to take over. One AMKOCluster, in avi-system.',
    status: 'What the federator reports about the last federation run.',
  },
  false,
);
export type AMKOCluster = Static<typeof AMKOClusterSchema>;
