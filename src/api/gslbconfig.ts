import { Type, type Static } from '@sinclair/typebox';
import { NonEmptyString, StringEnum, resourceSchema } from './common.js';

export const LOG_LEVELS = ['INFO', 'DEBUG', 'WARN', 'ERROR'] as const;

export const GSLBConfigSpec = Type.Object(
  {
    gslbLeader: Type.Object(
      {
        credentials: NonEmptyString(),
        controllerVersion: Type.Optional(Type.String()),
        controllerIP: NonEmptyString(),
        tenant: Type.Optional(Type.String()),
      },
      { additionalProperties: false },
    ),
    memberClusters: Type.Optional(
      Type.Array(Type.Object({ clusterContext: NonEmptyString() }, { additionalProperties: false })),
    ),
    refreshInterval: Type.Optional(Type.Integer({ minimum: 1 })),
    logLevel: Type.Optional(StringEnum(LOG_LEVELS)),
    useCustomGlobalFqdn: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type GSLBConfigSpec = Static<typeof GSLBConfigSpec>;

export const GSLBConfigStatus = Type.Object({ state: Type.Optional(Type.String()) }, { additionalProperties: false });

export const GSLBConfigSchema = resourceSchema(GSLBConfigSpec, GSLBConfigStatus);
export type GSLBConfig = Static<typeof GSLBConfigSchema>;
