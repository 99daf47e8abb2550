import { Type, type Static } from '@sinclair/typebox';
import { NonEmptyString, StringEnum, resourceSchema } from './common.js';

export const LOG_LEVELS = ['INFO', 'DEBUG', 'WARN', 'ERROR'] as const;

/**
 * Longest refreshInterval, in seconds: one day. The refresh is the full resync that repairs
 * drift on the controller and re-checks its leadership, so a longer one leaves drift unrepaired
 * for days; a day is also far below the 24.8 days a Node timer can wait (src/timers.ts).
 */
export const MAX_REFRESH_INTERVAL_S = 86_400;

export const GSLBConfigSpec = Type.Object(
  {
    gslbLeader: Type.Object(
      {
        credentials: NonEmptyString({
          description:
            'Name of the Secret in avi-system whose keys username and password log in to the GSLB leader controller ' +
            '(the Helm chart creates gslb-avi-secret). Required.',
        }),
        controllerVersion: Type.Optional(
          Type.String({
            description:
              'Avi API version of the GSLB leader controller, N.N.N or N.N.N-suffix (e.g. 22.1.3), sent as X-Avi-Version. ' +
              'Not set: read from the controller (GET /api/initial-data).',
          }),
        ),
        controllerIP: NonEmptyString({
          description:
            'Address of the GSLB leader controller: a host name, an IPv4 address or a bracketed IPv6 address, with an ' +
            'optional :port (1-65535), e.g. 10.10.10.10 or avi.example.com:8443. Required.',
        }),
        tenant: Type.Optional(
          Type.String({
            description:
              'Avi tenant for the GslbServices and health monitors, unless the object or its namespace names another one ' +
              'in the ako.vmware.com/tenant-name annotation. Default admin.',
          }),
        ),
      },
      {
        additionalProperties: false,
        description: 'The Avi controller of the GSLB leader site: AMKO creates and updates the GslbServices and health monitors there. Required.',
      },
    ),
    memberClusters: Type.Optional(
      Type.Array(
        Type.Object(
          {
            clusterContext: NonEmptyString({
              description: 'Context name of the cluster in the member-cluster kubeconfig. Required and unique in the list.',
            }),
            controllerClusterUuid: Type.Optional(
              NonEmptyString({
                description:
                  'UUID of the Avi controller cluster whose AKO serves this cluster (e.g. cluster-0f4c5d1e-...), for its ' +
                  'Gateway API HTTPRoute members: AKO does not annotate Gateway API objects with it. Not set: taken from ' +
                  'any Ingress or Service of the cluster that AKO annotated; unknown, the HTTPRoute members are IP-only.',
              }),
            ),
          },
          { additionalProperties: false, description: 'One member cluster.' },
        ),
        {
          description:
            'The Kubernetes/OpenShift clusters whose Ingresses, LoadBalancer Services, Routes and Gateway API HTTPRoutes become GslbService members, ' +
            'named by their contexts in the member-cluster kubeconfig (Secret gslb-config-secret, key gslb-members). ' +
            'GlobalDeploymentPolicy matchClusters and trafficSplit may name only these clusters.',
        },
      ),
    ),
    refreshInterval: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_REFRESH_INTERVAL_S,
        description:
          'Seconds between full resyncs: AMKO lists the GslbServices and health monitors it owns on the controller and ' +
          'reconciles every one of them. 1 to 86400 (a day); default 1800.',
      }),
    ),
    logLevel: Type.Optional(
      StringEnum(LOG_LEVELS, { description: 'Log level of AMKO: INFO, DEBUG, WARN or ERROR. Default INFO.' }),
    ),
    useCustomGlobalFqdn: Type.Optional(
      Type.Boolean({
        description:
          'true: GslbService names (global FQDNs) come from AKO HostRules that map a local FQDN to a global one, and ' +
          'objects without such a mapping are not synced. false (default): the GslbService is named by the local FQDN ' +
          'of the Ingress, Route or Service.',
      }),
    ),
  },
  {
    additionalProperties: false,
    description: 'The GSLB leader controller, the member clusters and how often AMKO resyncs.',
  },
);
export type GSLBConfigSpec = Static<typeof GSLBConfigSpec>;

export const GSLBConfigStatus = Type.Object(
  {
    state: Type.Optional(
      Type.String({
        description:
          'Acceptance and sync state written by AMKO: syncing all objects, synced all objects, ' +
          'success: gslb config accepted, or the error (e.g. error: controller not a leader).',
      }),
    ),
  },
  { additionalProperties: false },
);

export const GSLBConfigSchema = resourceSchema(GSLBConfigSpec, GSLBConfigStatus, {
  kind:
    'GSLBConfig configures AMKO: the Avi GSLB leader controller to sync to and the member clusters to watch. ' +
    'Only one GSLBConfig is allowed, in the avi-system namespace.',
  status: 'What AMKO reports about this GSLBConfig.',
});
export type GSLBConfig = Static<typeof GSLBConfigSchema>;
