import { Type, type Static } from '@sinclair/typebox';
import { DownResponse, NonEmptyString, PoolAlgorithmSettings, StringMap, TrafficSplitEntry, Ttl, resourceSchema } from './common.js';

const Selector = Type.Object({ label: Type.Optional(StringMap) }, { additionalProperties: false });

export const GDPSpec = Type.Object(
  {
    matchRules: Type.Optional(
      Type.Object(
        { appSelector: Type.Optional(Selector), namespaceSelector: Type.Optional(Selector) },
        { additionalProperties: false },
      ),
    ),
    matchClusters: Type.Optional(
      Type.Array(
        Type.Object(
          { cluster: NonEmptyString(), syncVipOnly: Type.Optional(Type.Boolean()) },
          { additionalProperties: false },
        ),
      ),
    ),
    trafficSplit: Type.Optional(Type.Array(TrafficSplitEntry)),
    healthMonitorRefs: Type.Optional(Type.Array(NonEmptyString())),
    healthMonitorTemplate: Type.Optional(NonEmptyString()),
    ttl: Type.Optional(Ttl),
    sitePersistenceRef: Type.Optional(NonEmptyString()),
    pkiProfileRef: Type.Optional(NonEmptyString()),
    poolAlgorithmSettings: Type.Optional(PoolAlgorithmSettings),
    downResponse: Type.Optional(DownResponse),
    controlPlaneHmOnly: Type.Optional(Type.Boolean()),
    defaultDomain: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type GDPSpec = Static<typeof GDPSpec>;

export const GDPStatus = Type.Object({ errorStatus: Type.Optional(Type.String()) }, { additionalProperties: false });

export const GDPSchema = resourceSchema(GDPSpec, GDPStatus);
export type GlobalDeploymentPolicy = Static<typeof GDPSchema>;
