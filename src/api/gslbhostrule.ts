import { Type, type Static } from '@sinclair/typebox';
import { DownResponse, NonEmptyString, PoolAlgorithmSettings, TrafficSplitEntry, Ttl, described, resourceSchema } from './common.js';

export const GSLBHostRuleSpec = Type.Object(
  {
    fqdn: NonEmptyString({
      description: 'FQDN of the GslbService this rule applies to (its global FQDN). Required; a DNS name; one GSLBHostRule per FQDN.',
    }),
    ttl: Type.Optional(
      described(Ttl, 'DNS TTL of this GslbService in seconds, 1-86400. Overrides the GlobalDeploymentPolicy ttl.'),
    ),
    sitePersistence: Type.Optional(
      Type.Object(
        {
          enabled: Type.Boolean({
            description: 'true: site persistence on (with profileRef); false: off, whatever the GlobalDeploymentPolicy says. Required.',
          }),
          profileRef: Type.Optional(
            NonEmptyString({
              description: 'Name of a federated application persistence profile on the controller. Required when enabled is true.',
            }),
          ),
          pkiProfileRef: Type.Optional(
            NonEmptyString({
              description:
                'Name of the PKI profile on the controller used with site persistence. Not set: the GlobalDeploymentPolicy ' +
                'pkiProfileRef, else the first federated PKI profile on the controller.',
            }),
          ),
        },
        {
          additionalProperties: false,
          description:
            'Site persistence for this GslbService: a client keeps being sent to the same site. Applied only when ' +
            'every member is TLS (secure Ingresses and Routes). Not set: the GlobalDeploymentPolicy sitePersistenceRef applies.',
        },
      ),
    ),
    thirdPartyMembers: Type.Optional(
      Type.Array(
        Type.Object(
          {
            site: NonEmptyString({
              description: 'Name of the third-party site; it must exist as a third-party site on the GSLB leader. Required.',
            }),
            vip: NonEmptyString({ description: 'IPv4 or IPv6 address of the member. Required.' }),
            publicIP: Type.Optional(NonEmptyString({ description: 'Public IPv4 or IPv6 address of the member (NAT).' })),
          },
          { additionalProperties: false, description: 'One member at a non-Avi site.' },
        ),
        {
          description:
            'Members at third-party (non-Avi) sites added to this GslbService, e.g. during a migration. Weight and ' +
            'priority come from a trafficSplit entry naming the site (default 1 and 1). Not allowed while ' +
            'sitePersistence.enabled is true.',
        },
      ),
    ),
    healthMonitorRefs: Type.Optional(
      Type.Array(NonEmptyString({ description: 'Name of a federated health monitor on the GSLB leader controller.' }), {
        description:
          'Federated health monitors on the controller for this GslbService, instead of the GlobalDeploymentPolicy ' +
          'ones or those AMKO creates. Unique names; not together with healthMonitorTemplate.',
      }),
    ),
    healthMonitorTemplate: Type.Optional(
      NonEmptyString({
        description:
          'Name of a federated HTTP or HTTPS health monitor on the controller whose request and response codes the ' +
          'health monitors AMKO creates for this GslbService inherit. Not together with healthMonitorRefs.',
      }),
    ),
    trafficSplit: Type.Optional(
      Type.Array(TrafficSplitEntry, {
        description:
          'Weight and priority per member cluster or third-party site for this GslbService. Overrides the ' +
          'GlobalDeploymentPolicy trafficSplit.',
      }),
    ),
    publicIP: Type.Optional(
      Type.Array(
        Type.Object(
          {
            cluster: NonEmptyString({
              description: 'Cluster context of a member cluster (one of the GSLBConfig memberClusters). Required and unique in the list.',
            }),
            ip: NonEmptyString({ description: 'Public IPv4 or IPv6 address of that cluster\'s members. Required.' }),
          },
          { additionalProperties: false, description: 'The public IP of one member cluster.' },
        ),
        { description: 'Public IP addresses (NAT) of the members per member cluster, sent as the members\' public_ip.' },
      ),
    ),
    poolAlgorithmSettings: Type.Optional(
      described(
        PoolAlgorithmSettings,
        'How this GslbService spreads the DNS answers over its members. Overrides the GlobalDeploymentPolicy setting.',
      ),
    ),
    downResponse: Type.Optional(
      described(DownResponse, 'What the DNS service answers when all members of this GslbService are down. Overrides the GlobalDeploymentPolicy setting.'),
    ),
    controlPlaneHmOnly: Type.Optional(
      Type.Boolean({
        description:
          'true: this GslbService gets no health monitors; member health comes from the control plane only. ' +
          'Overrides the GlobalDeploymentPolicy setting.',
      }),
    ),
  },
  { additionalProperties: false, description: 'The GslbService properties this rule overrides.' },
);
export type GSLBHostRuleSpec = Static<typeof GSLBHostRuleSpec>;

export const GSLBHostRuleStatus = Type.Object(
  {
    status: Type.Optional(Type.String({ description: 'Accepted or Rejected.' })),
    error: Type.Optional(Type.String({ description: 'Why the rule was rejected; empty when accepted.' })),
  },
  { additionalProperties: false },
);

export const GSLBHostRuleSchema = resourceSchema(GSLBHostRuleSpec, GSLBHostRuleStatus, {
  kind:
    'GSLBHostRule (ghr) overrides properties of one GslbService that AMKO manages (TTL, site persistence, ' +
    'third-party members, health monitors, traffic split, public IPs, algorithm, down response).',
  status: 'What AMKO reports about this rule.',
});
export type GSLBHostRule = Static<typeof GSLBHostRuleSchema>;
