import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { defaultSeed, parseRef, SIM_MESSAGES, startAviSimulator, type AviSimulator } from '../avi-sim/server.js';
import { gsBody, hmBody, raw, rawLogin, SIM_USER, type RawSession } from './helpers.js';

describe('avi simulator', () => {
  let sim: AviSimulator;
  let s: RawSession;
  beforeEach(async () => {
    sim = await startAviSimulator({ maxPageSize: 50 });
    s = await rawLogin(sim);
  });
  afterEach(async () => sim.close());

  const post = (path: string, body: unknown, tenant = 'admin') => raw(sim, 'POST', path, { headers: s.headers(tenant), body });
  const get = (path: string, tenant = 'admin') => raw(sim, 'GET', path, { headers: s.headers(tenant) });

  describe('sessions, CSRF and versions', () => {
    it('login sets csrftoken, avi-sessionid and sessionid cookies', async () => {
      const res = await raw(sim, 'POST', '/login', { body: SIM_USER });
      assert.equal(res.status, 200);
      const names = (res.headers['set-cookie'] as string[]).map((c) => c.split('=', 1)[0]);
      assert.deepEqual(names, ['csrftoken', 'avi-sessionid', 'sessionid']);
      assert.equal(res.body.version.Version, '22.1.3');
    });

    it('rejects a wrong password with 401 Invalid credentials and no cookie', async () => {
      const res = await raw(sim, 'POST', '/login', { body: { username: 'admin', password: 'x' } });
      assert.equal(res.status, 401);
      assert.deepEqual(res.body, { error: SIM_MESSAGES.invalidCredentials });
      assert.equal(res.headers['set-cookie'], undefined);
    });

    it('locks an account after 3 consecutive failed logins: even the right password is refused until unlock', async () => {
      const wrong = { username: SIM_USER.username, password: 'not-it' };
      for (let i = 0; i < 2; i++) assert.equal((await raw(sim, 'POST', '/login', { body: wrong })).status, 401);
      assert.equal(sim.isLocked(SIM_USER.username), false);
      // A successful login resets the count: two more failures still do not lock.
      assert.equal((await raw(sim, 'POST', '/login', { body: SIM_USER })).status, 200);
      for (let i = 0; i < 2; i++) assert.equal((await raw(sim, 'POST', '/login', { body: wrong })).status, 401);
      assert.equal(sim.isLocked(SIM_USER.username), false);
      assert.equal((await raw(sim, 'POST', '/login', { body: wrong })).status, 401);
      assert.equal(sim.isLocked(SIM_USER.username), true);
      const locked = await raw(sim, 'POST', '/login', { body: SIM_USER });
      assert.equal(locked.status, 401);
      assert.deepEqual(locked.body, { error: SIM_MESSAGES.accountLocked });
      assert.equal(locked.headers['set-cookie'], undefined);
      sim.unlock(SIM_USER.username);
      assert.equal((await raw(sim, 'POST', '/login', { body: SIM_USER })).status, 200);
    });

    it('a lock expires lockMs after the last failed attempt; lockout: false never locks', async () => {
      const short = await startAviSimulator({ lockout: { maxLoginFailures: 2, lockMs: 300 } });
      const off = await startAviSimulator({ lockout: false });
      try {
        const wrong = { username: SIM_USER.username, password: 'not-it' };
        for (let i = 0; i < 2; i++) await raw(short, 'POST', '/login', { body: wrong });
        assert.equal((await raw(short, 'POST', '/login', { body: SIM_USER })).status, 401);
        await new Promise((r) => setTimeout(r, 400));
        assert.equal((await raw(short, 'POST', '/login', { body: SIM_USER })).status, 200);
        for (let i = 0; i < 10; i++) await raw(off, 'POST', '/login', { body: wrong });
        assert.equal((await raw(off, 'POST', '/login', { body: SIM_USER })).status, 200);
      } finally {
        await short.close();
        await off.close();
      }
    });

    it('requires a session on every API call', async () => {
      const { Cookie: _c, ...noCookie } = s.headers();
      const res = await raw(sim, 'GET', '/api/gslbservice', { headers: noCookie });
      assert.equal(res.status, 401);
      assert.deepEqual(res.body, { detail: SIM_MESSAGES.notAuthenticated });
    });

    it('rejects writes without an X-CSRFToken header (403)', async () => {
      const { 'X-CSRFToken': _x, ...h } = s.headers();
      const res = await raw(sim, 'POST', '/api/healthmonitor', { headers: h, body: hmBody('amko--c') });
      assert.equal(res.status, 403);
      assert.deepEqual(res.body, { detail: SIM_MESSAGES.csrfMissing });
      assert.equal((await get('/api/healthmonitor?name=amko--c')).body.count, 0);
    });

    it('rejects writes with a stale CSRF token from an earlier session (403)', async () => {
      const fresh = await rawLogin(sim);
      const res = await raw(sim, 'POST', '/api/healthmonitor', { headers: { ...fresh.headers(), 'X-CSRFToken': s.csrf }, body: hmBody('amko--c') });
      assert.equal(res.status, 403);
      const res2 = await raw(sim, 'DELETE', '/api/healthmonitor/x', { headers: { ...s.headers(), Cookie: fresh.cookie } });
      assert.equal(res2.status, 403);
    });

    it('reads do not need the CSRF token', async () => {
      const { 'X-CSRFToken': _x, Referer: _r, ...h } = s.headers();
      assert.equal((await raw(sim, 'GET', '/api/gslb', { headers: h })).status, 200);
    });

    it('rejects writes without a Referer, or with a foreign one (403)', async () => {
      const { Referer: _r, ...h } = s.headers();
      const res = await raw(sim, 'POST', '/api/healthmonitor', { headers: h, body: hmBody('amko--r') });
      assert.equal(res.status, 403);
      assert.deepEqual(res.body, { detail: SIM_MESSAGES.csrfNoReferer });
      const res2 = await raw(sim, 'POST', '/api/healthmonitor', { headers: { ...h, Referer: 'https://evil.example/' }, body: hmBody('amko--r') });
      assert.equal(res2.status, 403);
      assert.match(res2.body.detail, /Referer checking failed/);
    });

    it('restart() invalidates every session (401), data survives', async () => {
      assert.equal((await post('/api/healthmonitor', hmBody('amko--keep'))).status, 201);
      sim.restart();
      assert.equal((await get('/api/healthmonitor')).status, 401);
      const again = await rawLogin(sim);
      assert.equal((await raw(sim, 'GET', '/api/healthmonitor?name=amko--keep', { headers: again.headers() })).body.count, 1);
    });

    it('logout ends the session', async () => {
      assert.equal((await raw(sim, 'POST', '/logout', { headers: s.headers() })).status, 200);
      assert.equal((await get('/api/gslb')).status, 401);
    });

    it('requires X-Avi-Version (400) and refuses versions newer than the controller', async () => {
      const { 'X-Avi-Version': _v, ...h } = s.headers();
      const res = await raw(sim, 'GET', '/api/gslbservice', { headers: h });
      assert.equal(res.status, 400);
      assert.match(res.body.error, /X-Avi-Version/);
      assert.equal((await raw(sim, 'GET', '/api/gslb', { headers: { ...h, 'X-Avi-Version': '30.2.1' } })).status, 400);
      assert.equal((await raw(sim, 'GET', '/api/gslb', { headers: { ...h, 'X-Avi-Version': 'latest' } })).status, 400);
      assert.equal((await raw(sim, 'GET', '/api/gslb', { headers: { ...h, 'X-Avi-Version': '20.1.1' } })).status, 200);
    });

    it('serves /api/initial-data without a session or version', async () => {
      const res = await raw(sim, 'GET', '/api/initial-data');
      assert.equal(res.status, 200);
      assert.equal(res.body.version.Version, '22.1.3');
    });

    it('rejects non-JSON bodies (415) and malformed JSON (400)', async () => {
      const h = s.headers();
      assert.equal((await raw(sim, 'POST', '/api/healthmonitor', { headers: { ...h, 'Content-Type': 'text/plain' }, rawBody: 'x' })).status, 415);
      const bad = await raw(sim, 'POST', '/api/healthmonitor', { headers: { ...h, 'Content-Type': 'application/json' }, rawBody: '{nope' });
      assert.equal(bad.status, 400);
      assert.match(bad.body.error, /JSON parse error/);
    });
  });

  describe('objects', () => {
    it('assigns uuid, url, tenant_ref and _last_modified; include_name adds #name', async () => {
      const res = await post('/api/healthmonitor/', hmBody('amko--u'));
      assert.equal(res.status, 201);
      const { uuid, url, tenant_ref } = res.body;
      assert.match(uuid, /^healthmonitor-[0-9a-f-]{36}$/);
      assert.equal(url, `https://${sim.host}/api/healthmonitor/${uuid}`);
      assert.equal(tenant_ref, `https://${sim.host}/api/tenant/admin`);
      assert.match(res.body._last_modified, /^\d{16}$/);
      const named = await get(`/api/healthmonitor/${uuid}?include_name`);
      assert.equal(named.body.url, `${url}#amko--u`);
      assert.equal(named.body.tenant_ref, `https://${sim.host}/api/tenant/admin#admin`);
    });

    it('keeps names unique per tenant (409) but allows the same name in another tenant', async () => {
      assert.equal((await post('/api/gslbservice', gsBody('u.example.com'))).status, 201);
      const dup = await post('/api/gslbservice', gsBody('u.example.com', { domain_names: ['u2.example.com'] }));
      assert.equal(dup.status, 409);
      assert.deepEqual(dup.body, { error: 'Gslb service with this Name and Tenant ref already exists.' });
      const hm = await post('/api/healthmonitor', hmBody('my-hm1'));
      assert.equal(hm.status, 409);
      assert.equal((await post('/api/healthmonitor', hmBody('my-hm1'), 'team-a')).status, 201);
      const a = await post('/api/healthmonitor', hmBody('amko--rename'));
      const rename = await raw(sim, 'PUT', `/api/healthmonitor/${a.body.uuid}`, { headers: s.headers(), body: hmBody('my-hm2') });
      assert.equal(rename.status, 409);
    });

    it('scopes objects by tenant; * reads all tenants; unknown tenants are refused', async () => {
      const t = await post('/api/healthmonitor', hmBody('amko--ta'), 'team-a');
      assert.equal((await get(`/api/healthmonitor/${t.body.uuid}`)).status, 404);
      assert.equal((await get(`/api/healthmonitor/${t.body.uuid}`, 'team-a')).status, 200);
      assert.equal((await get('/api/healthmonitor?name=amko--ta')).body.count, 0);
      assert.equal((await get('/api/healthmonitor?name=amko--ta', '*')).body.count, 1);
      assert.equal((await raw(sim, 'DELETE', `/api/healthmonitor/${t.body.uuid}`, { headers: s.headers() })).status, 404);
      const unknown = await get('/api/healthmonitor', 'nope');
      assert.equal(unknown.status, 400);
      assert.equal((await post('/api/healthmonitor', hmBody('amko--star'), '*')).status, 400);
    });

    it('accepts tenant_ref by name (relative, absolute or empty host) or omitted, refuses mismatches', async () => {
      for (const [i, ref] of ['/api/tenant/?name=team-a', 'https:///api/tenant/?name=team-a', `https://${sim.host}/api/tenant?name=team-a`, undefined].entries()) {
        const res = await post('/api/healthmonitor', hmBody(`amko--tr${i}`, ref ? { tenant_ref: ref } : {}), 'team-a');
        assert.equal(res.status, 201, `${ref}: ${JSON.stringify(res.body)}`);
        assert.match(res.body.tenant_ref, new RegExp(`/api/tenant/${sim.store.tenant('team-a')?.uuid}$`));
      }
      const mismatch = await post('/api/healthmonitor', hmBody('amko--trx', { tenant_ref: '/api/tenant/?name=team-a' }), 'admin');
      assert.equal(mismatch.status, 400);
      const missing = await post('/api/healthmonitor', hmBody('amko--try', { tenant_ref: '/api/tenant/?name=ghost' }), 'admin');
      assert.equal(missing.status, 400);
      assert.match(missing.body.error, /Cannot find object tenant with name ghost/);
    });

    it('resolves health monitor refs by name or uuid to uuid refs, and refuses missing or non-federated ones (400)', async () => {
      const hm = await post('/api/healthmonitor', hmBody('amko--ref'));
      const gs = await post('/api/gslbservice?include_name', gsBody('r.example.com', {
        health_monitor_refs: ['/api/healthmonitor?name=amko--ref', `https://${sim.host}/api/healthmonitor/${sim.store.getRecordByName('healthmonitor', 'my-hm1')?.uuid}#my-hm1`],
      }));
      assert.equal(gs.status, 201, JSON.stringify(gs.body));
      assert.deepEqual(gs.body.health_monitor_refs, [
        `https://${sim.host}/api/healthmonitor/${hm.body.uuid}#amko--ref`,
        `https://${sim.host}/api/healthmonitor/${sim.store.getRecordByName('healthmonitor', 'my-hm1')?.uuid}#my-hm1`,
      ]);
      const missing = await post('/api/gslbservice', gsBody('r2.example.com', { health_monitor_refs: ['/api/healthmonitor?name=ghost'] }));
      assert.equal(missing.status, 400);
      assert.deepEqual(missing.body, { error: 'Cannot find object healthmonitor with name ghost' });
      const nonFed = await post('/api/gslbservice', gsBody('r3.example.com', { health_monitor_refs: ['/api/healthmonitor?name=my-hm3'] }));
      assert.equal(nonFed.status, 400);
      assert.match(nonFed.body.error, /not federated/);
      const wrongType = await post('/api/gslbservice', gsBody('r4.example.com', { health_monitor_refs: ['/api/pkiprofile?name=pki'] }));
      assert.equal(wrongType.status, 400);
    });

    it('resolves admin-tenant health monitors and profiles from another tenant', async () => {
      const gs = await post('/api/gslbservice', gsBody('x.example.com', {
        health_monitor_refs: ['/api/healthmonitor?name=System-GSLB-TCP'],
        site_persistence_enabled: true,
        application_persistence_profile_ref: '/api/applicationpersistenceprofile?name=gap-2',
        pki_profile_ref: '/api/pkiprofile?name=pki',
      }), 'team-a');
      assert.equal(gs.status, 201, JSON.stringify(gs.body));
      assert.match(gs.body.application_persistence_profile_ref, /\/api\/applicationpersistenceprofile\/applicationpersistenceprofile-/);
      assert.match(gs.body.pki_profile_ref, /\/api\/pkiprofile\/pkiprofile-/);
      const badProfile = await post('/api/gslbservice', gsBody('y.example.com', { application_persistence_profile_ref: '/api/applicationpersistenceprofile?name=nope' }));
      assert.equal(badProfile.status, 400);
    });

    it('refuses to delete a health monitor still referred to by a GslbService', async () => {
      const hm = await post('/api/healthmonitor', hmBody('amko--inuse'));
      const gs = await post('/api/gslbservice', gsBody('inuse.example.com', { health_monitor_refs: ['/api/healthmonitor?name=amko--inuse'] }));
      const del = await raw(sim, 'DELETE', `/api/healthmonitor/${hm.body.uuid}`, { headers: s.headers() });
      assert.equal(del.status, 400);
      assert.deepEqual(del.body, { error: "Cannot delete, object is referred by: ['GslbService inuse.example.com']" });
      const put = await raw(sim, 'PUT', `/api/gslbservice/${gs.body.uuid}`, { headers: s.headers(), body: gsBody('inuse.example.com') });
      assert.equal(put.status, 200);
      assert.equal((await raw(sim, 'DELETE', `/api/healthmonitor/${hm.body.uuid}`, { headers: s.headers() })).status, 204);
    });

    it('DELETE returns 204 with no body; unknown uuids are 404 with an error body', async () => {
      const gs = await post('/api/gslbservice', gsBody('d.example.com'));
      const del = await raw(sim, 'DELETE', `/api/gslbservice/${gs.body.uuid}`, { headers: s.headers() });
      assert.equal(del.status, 204);
      assert.equal(del.body, undefined);
      const after = await get(`/api/gslbservice/${gs.body.uuid}`);
      assert.equal(after.status, 404);
      assert.equal(typeof after.body.error, 'string');
      assert.equal((await raw(sim, 'PUT', '/api/gslbservice/gslbservice-x', { headers: s.headers(), body: gsBody('d.example.com') })).status, 404);
      assert.equal((await raw(sim, 'DELETE', `/api/gslbservice/${gs.body.uuid}`, { headers: s.headers() })).status, 404);
    });

    it('refuses a domain name already served by another GslbService, in any tenant', async () => {
      await post('/api/gslbservice', gsBody('a.example.com', { domain_names: ['a.example.com', 'alias.example.com'] }));
      const res = await post('/api/gslbservice', gsBody('b.example.com', { domain_names: ['b.example.com', 'ALIAS.example.com'] }), 'team-a');
      assert.equal(res.status, 400);
      assert.match(res.body.error, /domain name conflicting with existing domain name/);
      const own = await get('/api/gslbservice?name=a.example.com');
      const put = await raw(sim, 'PUT', `/api/gslbservice/${own.body.results[0].uuid}`, { headers: s.headers(), body: gsBody('a.example.com', { domain_names: ['alias.example.com'] }) });
      assert.equal(put.status, 200, 'its own domains do not conflict');
    });

    it('validates GslbService and health monitor bodies (400)', async () => {
      const cases: Array<[string, unknown, RegExp]> = [
        ['/api/gslbservice', { ...gsBody('v.example.com'), domain_names: [] }, /domain name/],
        ['/api/gslbservice', { ...gsBody('v.example.com'), name: '' }, /'name'/],
        ['/api/gslbservice', gsBody('v.example.com', { groups: [{ name: 'g', priority: 10, members: [{ ratio: 1 }] }] }), /ip or fqdn/],
        ['/api/gslbservice', gsBody('v.example.com', { groups: [{ name: 'g', members: [{ ratio: 50, ip: { addr: '1.1.1.1', type: 'V4' } }] }] }), /ratio/],
        ['/api/gslbservice', gsBody('bad_domain!'), /Invalid domain name/],
        ['/api/healthmonitor', { ...hmBody('amko--v'), type: 'HEALTH_MONITOR_NOPE' }, /not a valid choice/],
        ['/api/healthmonitor', { ...hmBody('amko--v'), type: undefined }, /'type'/],
        ['/api/healthmonitor', hmBody('amko--v', { monitor_port: 70000 }), /monitor_port/],
        ['/api/healthmonitor', hmBody('amko--v', { send_interval: 4, receive_timeout: 4 }), /Receive timeout/],
        ['/api/healthmonitor', [1, 2], /JSON object/],
      ];
      for (const [path, body, re] of cases) {
        const res = await post(path, body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.match(res.body.error, re);
      }
    });

    it('refuses GSLB writes on a follower and in maintenance mode', async () => {
      sim.store.setLeader(false);
      const nl = await post('/api/gslbservice', gsBody('f.example.com'));
      assert.deepEqual([nl.status, nl.body], [400, { error: SIM_MESSAGES.notLeader }]);
      assert.equal((await post('/api/healthmonitor', hmBody('amko--local', { is_federated: false }))).status, 201, 'non-federated objects are local');
      sim.store.setLeader(true);
      sim.store.setMaintenance(true);
      const mm = await post('/api/healthmonitor', hmBody('amko--m'));
      assert.deepEqual([mm.status, mm.body], [400, { error: SIM_MESSAGES.maintenance }]);
      assert.equal((await get('/api/gslb')).body.results[0].maintenance_mode, true);
    });

    it('answers 405 for unsupported methods and 404 for unknown resources', async () => {
      assert.equal((await raw(sim, 'PATCH', '/api/gslbservice/x', { headers: s.headers(), body: {} })).status, 405);
      assert.equal((await post('/api/gslb', {})).status, 405);
      assert.equal((await get('/api/virtualservice')).status, 404);
    });
  });

  describe('lists', () => {
    it('paginates with count/results/next, honours page_size up to the maximum, 404 past the end', async () => {
      for (let i = 0; i < 7; i++) sim.store.create('gslbservice', gsBody(`l${i}.example.com`), 'admin');
      const p1 = await get('/api/gslbservice?page_size=3&include_name');
      assert.equal(p1.body.count, 7);
      assert.deepEqual(p1.body.results.map((g: { name: string }) => g.name), ['l0.example.com', 'l1.example.com', 'l2.example.com']);
      assert.equal(p1.body.next, `https://${sim.host}/api/gslbservice?page_size=3&include_name=&page=2`);
      const p3 = await get(new URL(p1.body.next).pathname + new URL(p1.body.next).search.replace('page=2', 'page=3'));
      assert.deepEqual(p3.body.results.map((g: { name: string }) => g.name), ['l6.example.com']);
      assert.equal(p3.body.next, undefined);
      assert.equal((await get('/api/gslbservice?page_size=3&page=4')).status, 404);
      assert.equal((await get('/api/gslbservice')).body.results.length, 7, 'default page size 25');
      assert.equal((await get('/api/healthmonitor?page_size=1000')).body.results.length, 9, 'capped at maxPageSize 50');
      const big = await startAviSimulator({ maxPageSize: 2 });
      try {
        const bs = await rawLogin(big);
        const r = await raw(big, 'GET', '/api/healthmonitor?page_size=100', { headers: bs.headers() });
        assert.equal(r.body.results.length, 2);
        assert.equal(r.body.count, 9);
      } finally {
        await big.close();
      }
    });

    it('filters by name, created_by and is_federated', async () => {
      sim.store.create('gslbservice', gsBody('f1.example.com', { created_by: 'amko-a' }), 'admin');
      sim.store.create('gslbservice', gsBody('f2.example.com', { created_by: 'amko-b' }), 'admin');
      assert.deepEqual((await get('/api/gslbservice?created_by=amko-b')).body.results.map((g: { name: string }) => g.name), ['f2.example.com']);
      assert.equal((await get('/api/gslbservice?name=f1.example.com&created_by=amko-b')).body.count, 0);
      assert.equal((await get('/api/gslbservice?name=f1.example.com')).body.count, 1);
      assert.equal((await get('/api/healthmonitor?is_federated=true')).body.count, 7);
      assert.equal((await get('/api/healthmonitor?is_federated=false')).body.count, 2);
      assert.equal((await get('/api/pkiprofile?is_federated=true&page_size=10')).body.count, 2);
    });

    it('serves cluster, gslb (with third-party sites), cloud and tenant', async () => {
      const cluster = await get('/api/cluster');
      assert.equal(cluster.body.uuid, defaultSeed().cluster.uuid);
      const gslb = (await get('/api/gslb')).body;
      assert.equal(gslb.count, 1);
      assert.equal(gslb.results[0].leader_cluster_uuid, cluster.body.uuid);
      assert.deepEqual(gslb.results[0].third_party_sites.map((t: { name: string }) => t.name), ['partner-dc-1']);
      assert.equal((await get('/api/cloud')).body.results[0].name, 'Default-Cloud');
      assert.deepEqual((await get('/api/tenant')).body.results.map((t: { name: string }) => t.name), ['admin', 'team-a']);
    });

    it('seeds the default fixtures', () => {
      const names = (t: Parameters<typeof sim.store.list>[0]) => sim.store.list(t).map((o) => o.name);
      assert.deepEqual(names('applicationpersistenceprofile'), ['System-Persistence-Client-IP', 'gap-1', 'gap-2']);
      assert.deepEqual(names('pkiprofile'), ['pki', 'pki2']);
      assert.equal(sim.store.count('healthmonitor'), 9);
      assert.equal(sim.store.count('gslbservice'), 0);
    });

    it('lists thousands of GslbServices page by page', async () => {
      for (let i = 0; i < 3000; i++) sim.store.create('gslbservice', gsBody(`bulk${i}.example.com`, { created_by: 'amko-bulk' }), 'admin');
      let next: string | undefined = '/api/gslbservice?created_by=amko-bulk&page_size=50';
      let seen = 0;
      let pages = 0;
      while (next) {
        const res = await get(next);
        seen += res.body.results.length;
        pages++;
        next = res.body.next ? new URL(res.body.next).pathname + new URL(res.body.next).search : undefined;
      }
      assert.deepEqual([seen, pages], [3000, 60]);
    });
  });

  describe('faults and the request log', () => {
    it('injects a status with a controller message, per method and path, a given number of times', async () => {
      const f = sim.faults.add({ method: 'POST', path: '/api/gslbservice', status: 400, message: SIM_MESSAGES.notLeader, times: 2 });
      assert.equal((await get('/api/gslbservice')).status, 200, 'GET is not matched');
      for (let i = 0; i < 2; i++) assert.deepEqual((await post('/api/gslbservice/', gsBody('q.example.com'))).body, { error: SIM_MESSAGES.notLeader });
      assert.equal((await post('/api/gslbservice/', gsBody('q.example.com'))).status, 201);
      assert.equal(f.hits, 2);
      assert.equal(sim.faults.list().length, 0);
    });

    it('drops connections, adds latency, and fails a deterministic fraction with rate', async () => {
      sim.faults.add({ path: /^\/api\/cluster/, dropConnection: true, times: 1 });
      await assert.rejects(get('/api/cluster'), /socket hang up|ECONNRESET/);
      const f = sim.faults.add({ path: '/api/gslb', status: 503, rate: 0.5 });
      const statuses = [];
      for (let i = 0; i < 6; i++) statuses.push((await get('/api/gslb')).status);
      assert.deepEqual(statuses, [200, 503, 200, 503, 200, 503]);
      assert.equal(f.seen, 6);
      f.remove();
      sim.faults.add({ path: '/api/gslb', latencyMs: 60, times: 1 });
      const t0 = Date.now();
      assert.equal((await get('/api/gslb')).status, 200);
      assert.ok(Date.now() - t0 >= 55);
      sim.faults.add({ tenant: 'team-a', status: 500 });
      assert.equal((await get('/api/gslb', 'team-a')).status, 500);
      sim.faults.clear();
      assert.equal((await get('/api/gslb', 'team-a')).status, 200);
    });

    it('records method, path, query, tenant, status, user agent, arrival and answer times and write bodies (never the login body)', async () => {
      sim.requestLog.clear();
      const t0 = Date.now();
      await post('/api/healthmonitor?include_name', hmBody('amko--log'), 'team-a');
      await get('/api/healthmonitor?name=amko--log&is_federated=true', 'team-a');
      await raw(sim, 'POST', '/login', { body: SIM_USER });
      assert.deepEqual(
        sim.requestLog.entries.map(({ body: _b, at: _a, doneAt: _d, ...e }) => e),
        [
          { method: 'POST', path: '/api/healthmonitor', query: { include_name: '' }, tenant: 'team-a', status: 201, version: '22.1.3', userAgent: '' },
          { method: 'GET', path: '/api/healthmonitor', query: { name: 'amko--log', is_federated: 'true' }, tenant: 'team-a', status: 200, version: '22.1.3', userAgent: '' },
          { method: 'POST', path: '/login', query: {}, tenant: '', status: 200, version: undefined, userAgent: '' },
        ],
      );
      let last = t0;
      for (const e of sim.requestLog.entries) {
        assert.ok(e.at >= last && e.doneAt! >= e.at && e.doneAt! <= Date.now(), JSON.stringify(e));
        last = e.at;
      }
      assert.equal((sim.requestLog.entries[0]?.body as { name: string }).name, 'amko--log');
      assert.equal(sim.requestLog.entries[2]?.body, undefined);
    });
  });

  it('parses every ref form', () => {
    assert.deepEqual(parseRef('/api/healthmonitor?name=a', 'healthmonitor'), { name: 'a' });
    assert.deepEqual(parseRef('/api/healthmonitor/?name=a%20b', 'healthmonitor'), { name: 'a b' });
    assert.deepEqual(parseRef('https://1.2.3.4/api/healthmonitor/healthmonitor-1#x', 'healthmonitor'), { uuid: 'healthmonitor-1' });
    assert.deepEqual(parseRef('https:///api/tenant/?name=t', 'tenant'), { name: 't' });
    assert.equal(parseRef('/api/pkiprofile?name=a', 'healthmonitor'), undefined);
    assert.equal(parseRef('healthmonitor-1', 'healthmonitor'), undefined);
  });

  it('runs standalone and prints its URL and CA file', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/avi-sim/main.ts', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
      const info = JSON.parse(chunk.toString('utf8')) as { url: string; caFile: string; controller: string };
      assert.match(info.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      assert.match(info.caFile, /avi-sim-ca-\d+\.pem$/);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });
});
