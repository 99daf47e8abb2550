import { Type, type Static } from '@sinclair/typebox';
import { DownResponse, PoolAlgorithmSettings, TrafficSplitEntry, Ttl, resourceSchema } from './common.js';

export const GSLBHostRuleSpec = Type.Object(
  {
    fqdn: Type.String(),
    ttl: Type.Optional(Ttl),
    sitePersistence: Type.Optional(
      Type.Object(
        {
          enabled: Type.Boolean(),
          profileRef: Type.Optional(Type.String()),
          pkiProfileRef: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
    ),
    thirdPartyMembers: Type.Optional(
      Type.Array(
        Type.Object(
          { site: Type.String(), vip: Type.String(), publicIP: Type.Optional(Type.String()) },
          { additionalProperties: false },
        ),
      ),
    ),
    healthMonitorRefs: Type.Optional(Type.Array(Type.String())),
    healthMonitorTemplate: Type.Optional(Type.String()),
    trafficSplit: Type.Optional(Type.Array(TrafficSplitEntry)),
    publicIP: Type.Optional(
      Type.Array(Type.Object({ cluster: Type.String(), ip: Type.String() }, { additionalProperties: false })),
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
