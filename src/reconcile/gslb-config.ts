// The GSLBConfig in force: its states (syncing, synced, accepted, error), and the
// connection and settings the worker derives from it.
import type { V1Secret } from '@kubernetes/client-node';
import { UUID_ANNOTATION, type GSLBConfig } from '../api/index.js';
import { DEFAULTS } from '../rules/defaults.js';
import type { AviConnection } from './avi-session.js';
import { byAge, hash } from './util.js';

/** The start of every state that reports a refused Avi login. */
export const LOGIN_REFUSED = 'error: avi login refused';

export const GC_STATE = {
  accepted: 'success: gslb config accepted',
  /** Progress of a full sync (term start, controller or owner change): syncing -> synced -> accepted. */
  syncing: 'syncing all objects',
  synced: 'synced all objects',
  anotherConfig: "error: can't add another gslbconfig",
  noController: 'error: invalid gslb config with controller IP ',
  noCredentials: 'error: invalid gslb config with leaderSecret ',
  noSecret: (s: string) => `error: secret object doesn't exist ${s}`,
  connect: (e: string) => `error: issue in connecting to the controller API, ${e}`,
  /** A refused login (wrong credentials or a locked account) that is tried once more after `retryIn`. */
  loginRefused: (e: string, retryIn: string) => `${LOGIN_REFUSED} (${e}); one more attempt in ${retryIn}`,
  /** Refused logins in a row: no more until the credentials Secret or the GSLBConfig changes, or `retryIn` passed. */
  loginBlocked: (e: string, refusals: number, secret: string, retryIn: string) =>
    `${LOGIN_REFUSED} ${refusals} times in a row (${e}); no login until the Secret ${secret} or the GSLBConfig changes, or for ${retryIn}`,
  notLeader: 'error: controller not a leader',
  kubeconfig: (e: string) => `error: provided kubeconfig has an error ${e}`,
} as const;

export interface ActiveConfig {
  name: string;
  uid?: string;
  tenant: string;
  amkoUuid: string;
  createdBy: string;
  memberClusters: string[];
  /** memberClusters[].controllerClusterUuid by cluster context (HTTPRoute members). */
  controllerUuids: ReadonlyMap<string, string>;
  refreshIntervalMs: number;
  aviFingerprint: string;
}

/** The GSLBConfig in force (the oldest) and the others, which are refused. */
export function configInForce(gcs: readonly GSLBConfig[]): { gc?: GSLBConfig; others: GSLBConfig[] } {
  const [gc, ...others] = [...gcs].sort(byAge);
  return { gc, others };
}

/** The owner marker stored on the GSLBConfig (amko-uuid annotation), if any. */
export function amkoUuidOf(gc: GSLBConfig): string | undefined {
  return gc.metadata?.annotations?.[UUID_ANNOTATION];
}

/** The error state of a GSLBConfig that cannot be applied (no controller, credentials or Secret); undefined when it can. */
export function configProblem(gc: GSLBConfig, secret: V1Secret | undefined): string | undefined {
  const leader = gc.spec.gslbLeader;
  if (!leader.controllerIP) return GC_STATE.noController;
  if (!leader.credentials) return GC_STATE.noCredentials;
  if (!secret) return GC_STATE.noSecret(leader.credentials);
  return undefined;
}

/** The Avi connection of a GSLBConfig with its credentials Secret (`username`/`password`, data or stringData). */
export function aviConnectionOf(gc: GSLBConfig, secret: V1Secret): AviConnection {
  const leader = gc.spec.gslbLeader;
  const dec = (k: string) => Buffer.from(secret.data?.[k] ?? '', 'base64').toString('utf8') || secret.stringData?.[k] || '';
  return {
    controller: leader.controllerIP,
    username: dec('username'),
    password: dec('password'),
    version: leader.controllerVersion || undefined,
    tenant: leader.tenant || DEFAULTS.tenant,
  };
}

export function activeConfigOf(gc: GSLBConfig, amkoUuid: string, conn: AviConnection, refreshIntervalMs?: number): ActiveConfig {
  const refreshS = gc.spec.refreshInterval && gc.spec.refreshInterval > 0 ? gc.spec.refreshInterval : DEFAULTS.refreshInterval;
  return {
    name: gc.metadata?.name ?? '',
    uid: gc.metadata?.uid,
    tenant: conn.tenant,
    amkoUuid,
    createdBy: `amko-${amkoUuid}`,
    memberClusters: (gc.spec.memberClusters ?? []).map((m) => m.clusterContext ?? '').filter((c) => c !== ''),
    controllerUuids: new Map((gc.spec.memberClusters ?? []).filter((m) => m.clusterContext && m.controllerClusterUuid).map((m) => [m.clusterContext, m.controllerClusterUuid!])),
    refreshIntervalMs: refreshIntervalMs ?? refreshS * 1000,
    aviFingerprint: hash(conn),
  };
}
