// What the demo prints: plain-text tables of the simulator's GslbServices and
// health monitors, and the commands a user can copy. Pure functions.
import type { GslbService, HealthMonitor } from '../../src/avi/types.js';

/** Left-aligned columns, two spaces apart, each line indented; no trailing spaces. */
export function columns(rows: string[][], indent = '  '): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => indent + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

/** The name in an Avi ref read with include_name (`.../api/healthmonitor/<uuid>#<name>`). */
const refName = (ref: string): string => ref.slice(ref.indexOf('#') + 1);
const short = (algorithm: string) => algorithm.replace(/^GSLB_ALGORITHM_/, '');

/**
 * One row per pool member (the GslbService's name and each group's priority and
 * algorithm on the group's first row), then the health monitors the GslbServices use.
 */
export function simulatorTables(gslbServices: GslbService[], healthMonitors: HealthMonitor[]): string {
  if (gslbServices.length === 0) return '  (no GslbService)';
  const gsRows = [['GSLBSERVICE', 'PRIORITY', 'ALGORITHM', 'MEMBER', 'RATIO']];
  const used = new Set<string>();
  for (const gs of [...gslbServices].sort((a, b) => a.name.localeCompare(b.name))) {
    let first = true;
    for (const g of [...gs.groups].sort((a, b) => b.priority - a.priority)) {
      g.members.forEach((m, i) => {
        gsRows.push([first ? gs.name : '', i === 0 ? String(g.priority) : '', i === 0 ? short(g.algorithm) : '', m.ip.addr, String(m.ratio)]);
        first = false;
      });
    }
    for (const ref of gs.health_monitor_refs ?? []) used.add(refName(ref));
  }
  const hmRows = [['HEALTH MONITOR', 'TYPE', 'PORT', 'REQUEST']];
  for (const hm of healthMonitors.filter((h) => used.has(h.name)).sort((a, b) => a.name.localeCompare(b.name))) {
    const request = hm.http_monitor?.http_request ?? hm.https_monitor?.http_request ?? '';
    hmRows.push([hm.name, hm.type, String(hm.monitor_port ?? ''), request]);
  }
  return columns(gsRows) + '\n' + (hmRows.length > 1 ? columns(hmRows) : '  (no health monitor)');
}

/** A word for a POSIX shell: as is when it is plain, else single-quoted. */
export function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

export const shellLine = (words: string[]): string => words.map(shellWord).join(' ');

export interface TryInput {
  kubeconfig: string;
  contexts: string[];
  gdpName: string;
  namespace: string;
  ingress: { name: string; namespace: string; host: string };
  /** The VIP the printed Ingress change sets in the last member cluster. */
  newVip: string;
  sim: { url: string; username: string; password: string; version: string; caFile: string; cookieJar: string };
  createdBy: string;
}

/** Commands to paste into another terminal: an even split, a new VIP in the last cluster, and reading the simulator. */
export function tryCommands(t: TryInput): { changes: string[]; simulator: string[] } {
  const even = { spec: { trafficSplit: t.contexts.map((cluster) => ({ cluster, weight: 5 })) } };
  const status = { status: { loadBalancer: { ingress: [{ ip: t.newVip, hostname: t.ingress.host }] } } };
  const k = ['kubectl', '--kubeconfig', t.kubeconfig];
  const login = JSON.stringify({ username: t.sim.username, password: t.sim.password });
  const curl = ['curl', '-s', '--cacert', t.sim.caFile];
  return {
    changes: [
      shellLine([...k, '-n', t.namespace, 'patch', 'gdp', t.gdpName, '--type=merge', '-p', JSON.stringify(even)]),
      shellLine([...k, '--context', t.contexts.at(-1)!, '-n', t.ingress.namespace, 'patch', 'ingress', t.ingress.name,
        '--subresource=status', '--type=merge', '-p', JSON.stringify(status)]),
    ],
    simulator: [
      shellLine([...curl, '-c', t.sim.cookieJar, '-o', '/dev/null', '-H', 'Content-Type: application/json', '-d', login, `${t.sim.url}/login`]),
      shellLine([...curl, '-b', t.sim.cookieJar, '-H', `X-Avi-Version: ${t.sim.version}`, `${t.sim.url}/api/gslbservice?created_by=${t.createdBy}`]),
    ],
  };
}
