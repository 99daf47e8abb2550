// The GSLBConfig in force: its states (syncing, synced, accepted, error), the connection and
// settings the worker derives from it, and the member-cluster kubeconfig file
// it names (change detection by content stamp).
import { readFileSync, statSync } from 'node:fs';
import { KubeConfig, type V1Secret } from '@kubernetes/client-node';
import type { GSLBConfig } from '../api/index.js';
import type { AviConnection } from './avi-session.js';
import { hash } from './util.js';

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
  refreshIntervalMs: number;
  aviFingerprint: string;
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
    tenant: leader.tenant || 'admin',
  };
}

export function activeConfigOf(gc: GSLBConfig, amkoUuid: string, conn: AviConnection, refreshIntervalMs?: number): ActiveConfig {
  const refreshS = gc.spec.refreshInterval && gc.spec.refreshInterval > 0 ? gc.spec.refreshInterval : 600;
  return {
    name: gc.metadata?.name ?? '',
    uid: gc.metadata?.uid,
    tenant: conn.tenant,
    amkoUuid,
    createdBy: `amko-${amkoUuid}`,
    memberClusters: (gc.spec.memberClusters ?? []).map((m) => m.clusterContext ?? '').filter((c) => c !== ''),
    refreshIntervalMs: refreshIntervalMs ?? refreshS * 1000,
    aviFingerprint: hash(conn),
  };
}

/** The member-cluster kubeconfig file (`--member-kubeconfig`, env GSLB_CONFIG). */
export class MemberKubeconfigFile {
  constructor(private readonly explicitPath?: string) {}

  path(): string | undefined {
    return this.explicitPath ?? process.env.GSLB_CONFIG;
  }

  /** Changes whenever the file's content (or presence) changes. */
  stamp(): string {
    const p = this.path();
    if (!p) return 'none';
    try {
      const st = statSync(p);
      return `${p}:${st.mtimeMs}:${st.size}:${hash(readFileSync(p, 'utf8'))}`;
    } catch {
      return `${p}:missing`;
    }
  }

  load(): KubeConfig {
    const p = this.path();
    if (!p) throw new Error('no member-cluster kubeconfig (--member-kubeconfig or GSLB_CONFIG)');
    const kc = new KubeConfig();
    kc.loadFromFile(p);
    return kc;
  }
}
