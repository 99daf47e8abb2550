// The demo's text output: tables of the simulator's objects and the commands it prints.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { GslbService, HealthMonitor } from '../../src/avi/types.js';
import { columns, shellWord, simulatorTables, tryCommands } from '../../scripts/demo/report.js';

const member = (addr: string, ratio: number) => ({ enabled: true, ratio, ip: { addr, type: 'V4' as const } });
const gs = (name: string, groups: GslbService['groups'], hm: string[] = []): GslbService => ({
  name,
  domain_names: [name],
  groups,
  health_monitor_refs: hm.map((n) => `https://127.0.0.1:1/api/healthmonitor/healthmonitor-1#${n}`),
});
const hm = (name: string, type: string, request?: string): HealthMonitor => ({
  name,
  type,
  monitor_port: 80,
  ...(request ? { http_monitor: { http_request: request } } : {}),
});

describe('demo report', () => {
  it('columns: left-aligned, two spaces apart, indented, no trailing spaces', () => {
    assert.equal(columns([['A', 'BB', 'C'], ['aaa', '', 'c']]), '  A    BB  C\n  aaa      c');
  });

  it('simulatorTables: one row per member, groups by priority (highest first), only the health monitors in use', () => {
    const text = simulatorTables(
      [
        gs('web.example.com', [
          { name: 'g10', priority: 10, enabled: true, algorithm: 'GSLB_ALGORITHM_ROUND_ROBIN', members: [member('10.0.0.1', 8), member('10.0.0.2', 2)] },
          { name: 'g20', priority: 20, enabled: true, algorithm: 'GSLB_ALGORITHM_CONSISTENT_HASH', members: [member('10.0.0.3', 1)] },
        ], ['amko--a']),
        gs('api.example.com', [{ name: 'g', priority: 10, enabled: true, algorithm: 'GSLB_ALGORITHM_ROUND_ROBIN', members: [member('10.1.0.1', 1)] }]),
      ],
      [hm('amko--a', 'HEALTH_MONITOR_HTTP', 'HEAD / HTTP/1.0'), hm('System-GSLB-HTTP', 'HEALTH_MONITOR_HTTP')],
    );
    assert.equal(
      text,
      [
        '  GSLBSERVICE      PRIORITY  ALGORITHM        MEMBER    RATIO',
        '  api.example.com  10        ROUND_ROBIN      10.1.0.1  1',
        '  web.example.com  20        CONSISTENT_HASH  10.0.0.3  1',
        '                   10        ROUND_ROBIN      10.0.0.1  8',
        '                                              10.0.0.2  2',
        '  HEALTH MONITOR  TYPE                 PORT  REQUEST',
        '  amko--a         HEALTH_MONITOR_HTTP  80    HEAD / HTTP/1.0',
      ].join('\n'),
    );
    assert.equal(simulatorTables([], []), '  (no GslbService)');
  });

  it('tryCommands: lines a POSIX shell splits back into exactly the intended arguments', () => {
    const t = tryCommands({
      kubeconfig: '/tmp/amko-demo-x/kubeconfig',
      contexts: ['c1', 'c2'],
      gdpName: 'global-gdp',
      namespace: 'avi-system',
      ingress: { name: 'web', namespace: 'app', host: 'web.example.com' },
      newVip: '10.10.2.20',
      sim: { url: 'https://127.0.0.1:9443', username: 'admin', password: "it's #1", version: '22.1.3', caFile: '/tmp/d/ca.pem', cookieJar: '/tmp/d/jar' },
      createdBy: 'amko-u',
    });
    const argv = (line: string) => JSON.parse(execFileSync('bash', ['-c', `node -e 'console.log(JSON.stringify(process.argv.slice(1)))' -- ${line}`], { encoding: 'utf8' })) as string[];
    assert.deepEqual(argv(t.changes[0]!), [
      'kubectl', '--kubeconfig', '/tmp/amko-demo-x/kubeconfig', '-n', 'avi-system', 'patch', 'gdp', 'global-gdp', '--type=merge', '-p',
      '{"spec":{"trafficSplit":[{"cluster":"c1","weight":5},{"cluster":"c2","weight":5}]}}',
    ]);
    assert.deepEqual(argv(t.changes[1]!), [
      'kubectl', '--kubeconfig', '/tmp/amko-demo-x/kubeconfig', '--context', 'c2', '-n', 'app', 'patch', 'ingress', 'web', '--subresource=status', '--type=merge', '-p',
      '{"status":{"loadBalancer":{"ingress":[{"ip":"10.10.2.20","hostname":"web.example.com"}]}}}',
    ]);
    assert.deepEqual(argv(t.simulator[0]!), [
      'curl', '-s', '--cacert', '/tmp/d/ca.pem', '-c', '/tmp/d/jar', '-o', '/dev/null', '-H', 'Content-Type: application/json', '-d',
      '{"username":"admin","password":"it\'s #1"}', 'https://127.0.0.1:9443/login',
    ]);
    assert.deepEqual(argv(t.simulator[1]!), [
      'curl', '-s', '--cacert', '/tmp/d/ca.pem', '-b', '/tmp/d/jar', '-H', 'X-Avi-Version: 22.1.3', 'https://127.0.0.1:9443/api/gslbservice?created_by=amko-u',
    ]);
    assert.equal(shellWord('plain/path-1.yaml'), 'plain/path-1.yaml');
  });
});
