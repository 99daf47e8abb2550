import { Type, type Static } from '@sinclair/typebox';
import {
  DownResponse,
  NonEmptyString,
  PoolAlgorithmSettings,
  StringMap,
  TrafficSplitEntry,
  Ttl,
  described,
  resourceSchema,
} from './common.js';

const Selector = (description: string, labelDescription: string) =>
  Type.Object(
    { label: Type.Optional(StringMap(labelDescription, 'Label value; non-empty.')) },
    { additionalProperties: false, description },
  );

export const GDPSpec = Type.Object(
  {
    matchRules: Type.Optional(
      Type.Object(
        {
          appSelector: Type.Optional(
            Selector(
              'Selects applications by their labels.',
              'Labels an Ingress, LoadBalancer Service or Route must all carry to be selected (e.g. app: gslb).',
            ),
          ),
          namespaceSelector: Type.Optional(
            Selector(
              'Selects namespaces by their labels.',
              'Labels a namespace must all carry for its objects to be selected (e.g. ns: prod).',
            ),
          ),
        },
        {
          additionalProperties: false,
          description:
            'Which Ingresses, LoadBalancer Services and Routes of the matchClusters become GslbService members. ' +
            'Both selectors: the objects matching appSelector in the namespaces matching namespaceSelector; only ' +
            'appSelector: the matching objects of every namespace; only namespaceSelector: every object of the matching ' +
            'namespaces; neither: nothing is selected.',
        },
      ),
    ),
    matchClusters: Type.Optional(
      Type.Array(
        Type.Object(
          {
            cluster: NonEmptyString({
              description: 'Cluster context of a member cluster (one of the GSLBConfig memberClusters). Required and unique in the list.',
            }),
            syncVipOnly: Type.Optional(
              Type.Boolean({
                description:
                  'true: the members of this cluster are sent to the controller by their VIP only, without the UUIDs of ' +
                  'their AKO virtual service and Avi controller (which are then not required). Default false.',
              }),
            ),
          },
          { additionalProperties: false, description: 'One cluster the matchRules apply to.' },
        ),
        {
          description:
            'The member clusters the matchRules apply to. Removing a cluster removes its members from the GslbServices. ' +
            'Empty: nothing is selected.',
        },
      ),
    ),
    trafficSplit: Type.Optional(
      Type.Array(TrafficSplitEntry, {
        description:
          'Weight and priority per member cluster, for every GslbService (a GSLBHostRule may override them for one). ' +
          'A cluster not listed gets weight 1 and priority 10.',
      }),
    ),
    healthMonitorRefs: Type.Optional(
      Type.Array(NonEmptyString({ description: 'Name of a federated health monitor on the GSLB leader controller.' }), {
        description:
          'Federated health monitors on the controller to use for every GslbService instead of the ones AMKO creates ' +
          '(one per path or Service). Unique names; not together with healthMonitorTemplate.',
      }),
    ),
    healthMonitorTemplate: Type.Optional(
      NonEmptyString({
        description:
          'Name of a federated HTTP or HTTPS health monitor on the controller whose request and response codes the ' +
          'health monitors AMKO creates inherit. Not together with healthMonitorRefs.',
      }),
    ),
    ttl: Type.Optional(
      described(
        Ttl,
        'DNS TTL of the GslbServices in seconds, 1-86400: how long clients may cache an answer. ' +
          'Not set: the TTL of the DNS application profile.',
      ),
    ),
    sitePersistenceRef: Type.Optional(
      NonEmptyString({
        description:
          'Name of a federated application persistence profile on the controller: enables site persistence for the ' +
          'GslbServices whose members are all TLS (secure Ingresses and Routes). Not set: site persistence is off.',
      }),
    ),
    pkiProfileRef: Type.Optional(
      NonEmptyString({
        description:
          'Name of the PKI profile on the controller used with site persistence. Not set: the first federated PKI ' +
          'profile on the controller.',
      }),
    ),
    poolAlgorithmSettings: Type.Optional(PoolAlgorithmSettings),
    downResponse: Type.Optional(DownResponse),
    controlPlaneHmOnly: Type.Optional(
      Type.Boolean({
        description:
          'true: the GslbServices get no health monitors; member health comes from the control plane (the state the ' +
          'members\' controllers report) only. Default false.',
      }),
    ),
    defaultDomain: Type.Optional(
      Type.String({
        description:
          'DNS domain appended to an OpenShift Route\'s spec.subdomain when the Route has no spec.host ' +
          '(subdomain + "." + defaultDomain). A lowercase DNS subdomain; a leading "." is accepted.',
      }),
    ),
  },
  {
    additionalProperties: false,
    description:
      'Which objects of which clusters become GslbServices, and the GslbService properties (traffic split, health ' +
      'monitors, TTL, site persistence, algorithm, down response) for all of them.',
  },
);
export type GDPSpec = Static<typeof GDPSpec>;

export const GDPStatus = Type.Object(
  {
    errorStatus: Type.Optional(
      Type.String({ description: 'success when AMKO accepted the policy, otherwise why it was rejected.' }),
    ),
    skippedMembers: Type.Optional(
      Type.Integer({
        minimum: 0,
        description: 'Objects the policy selects that are not synced to GSLB (e.g. no AKO annotations, no IP); each has a Warning Event saying why.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const GDPSchema = resourceSchema(GDPSpec, GDPStatus, {
  kind:
    'GlobalDeploymentPolicy (gdp) selects the Ingresses, LoadBalancer Services and Routes of the member clusters ' +
    'that AMKO turns into GslbServices, and sets their properties. Only one GDP is allowed, in the avi-system ' +
    'namespace; deleting it deletes the GslbServices AMKO created.',
  status: 'What AMKO reports about this policy.',
});
export type GlobalDeploymentPolicy = Static<typeof GDPSchema>;
