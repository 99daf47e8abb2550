import { readFileSync } from 'node:fs';
import { validate } from './src/rules/index.ts';
const review = JSON.parse(readFileSync('test/fixtures/admission/gslbhostrule-create.validate.json', 'utf8'));
review.request.object.spec.sitePersistence = { enabled: false };
review.request.object.spec.thirdPartyMembers = Array.from({ length: 50_000 }, (_, i) => ({ site: 'non-avi-site', vip: `v${i}`, publicIP: `p${i}` }));
const text = JSON.stringify(review);
for (let k = 0; k < 4; k++) {
  let c = process.cpuUsage().user; let t = performance.now();
  const o = JSON.parse(text).request.object;
  const pc = (process.cpuUsage().user - c) / 1000; c = process.cpuUsage().user;
  const r = validate('GSLBHostRule', o, { namespace: 'avi-system' });
  console.log('parse cpu', Math.round(pc), 'validate cpu', Math.round((process.cpuUsage().user - c) / 1000), 'wall', Math.round(performance.now() - t));
}
