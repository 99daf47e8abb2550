// CI slice of the HTTPS fuzzer (scripts/fuzz.ts runs the full 100,000): 2,000 random,
// mutated and malformed requests against the real server in a child process. Every
// answer is a well-formed AdmissionReview or a 400 Status, nothing fails closed, the
// server does not crash, still answers afterwards, and its memory stays bounded.
import assert from 'node:assert/strict';
import { CATEGORIES, formatReport, runFuzz } from './fuzzer.js';

const REQUESTS = Number(process.env.AMKO_FUZZ_REQUESTS ?? 2000);
// Fixed by default so a failure reproduces (`tsx scripts/fuzz.ts --requests 2000 --seed 20261121`).
const SEED = Number(process.env.AMKO_FUZZ_SEED ?? 20261121);

describe('fuzz: the live HTTPS admission endpoints (2,000-request slice)', function () {
  this.timeout(300_000);

  it('answers every request well formed, with no crash, no 5xx and bounded memory', async () => {
    const report = await runFuzz({ requests: REQUESTS, seed: SEED, concurrency: 8 });
    const text = formatReport(report);
    assert.equal(report.requests, REQUESTS, text);
    assert.equal(report.malformed, 0, text);
    assert.equal(report.failClosed, 0, text);
    assert.equal(report.serverCrashed, false, text);
    assert.equal(report.healthyAfter, true, text);
    assert.deepEqual(Object.keys(report.httpStatus).sort(), ['200', '400', '404'], text);
    for (const c of CATEGORIES) assert.ok((report.categories[c] ?? 0) > 0, `category ${c} not exercised\n${text}`);
    // Real reviews went through all three kinds of answer.
    for (const o of ['admission-allowed', 'admission-denied', 'admission-patched', 'bad-request-400']) assert.ok((report.outcomes[o] ?? 0) > 0, `${o} never seen\n${text}`);
    // Bodies of up to 3 MiB (and a 20 MiB gzip bomb) pass through; the heap may grow to hold a few
    // of them at once, but not without bound.
    assert.ok(report.rss.peakMiB < report.rss.beforeMiB + 600, text);
  });
});
