import { Type, type Static } from '@sinclair/typebox';
import { DownResponse, NonEmptyString, PoolAlgorithmSettings, TrafficSplitEntry, Ttl, resourceSchema } from './common.js';

export const GSLBHostRuleSpec = Type.Object(
  {
    fqdn: NonEmptyString(),
    ttl: Type.Optional(Ttl),
    sitePersistence: Type.Optional(
      Type.Object(
        {
          enabled: Type.Boolean(),
          profileRef: Type.Optional(NonEmptyString()),
          pkiProfileRef: Type.Optional(NonEmptyString()),
        },
        { additionalProperties: false },
      ),
    ),
    thirdPartyMembers: Type.Optional(
      Type.Array(
        Type.Object(
          { site: NonEmptyString(), vip: NonEmptyString(), publicIP: Type.Optional(NonEmptyString()) },
          { additionalProperties: false },
        ),
      ),
    ),
    healthMonitorRefs: Type.Optional(Type.Array(NonEmptyString())),
    healthMonitorTemplate: Type.Optional(NonEmptyString()),
    trafficSplit: Type.Optional(Type.Array(TrafficSplitEntry)),
    publicIP: Type.Optional(
      Type.Array(Type.Object({ cluster: NonEmptyString(), ip: NonEmptyString() }, { additionalProperties: false })),
    ),
    poolAlgorithmSettings: Type.Optional(PoolAlgorithmSettings),
    downResponse: Type.Optional(DownResponse),
    controlPlaneHmOnly: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type GSLBHostRuleSpec = Static<typeof GSLBHostRuleSpec>;

export const GSLBHostRuleStatus = Type.Object(
  { status: Type.Optional(Type.String()), error: Type.Optional(Type.String()) },
  { additionalProperties: false },
);

export const GSLBHostRuleSchema = resourceSchema(GSLBHostRuleSpec, GSLBHostRuleStatus);
export type GSLBHostRule = Static<typeof GSLBHostRuleSchema>;
