// `npm run demo [-- --once]`: the whole product on this machine. Starts real
// kube-apiservers, the Avi simulator and `amko serve` with the reconcile worker,
// applies the examples, and prints the webhook's rejection of an invalid change,
// the GslbServices and health monitors on the simulator, the status in the
// cluster, and commands to try a change. Then it prints every change on the
// simulator until Ctrl-C (SIGINT/SIGTERM/SIGHUP), and stops everything it
// started. With --once it exits after the report. package.json runs it with
// `exec`, so no shell sits between npm and this process: a shell would die of
// the terminal's SIGINT at once and npm would return before the clean-up ends.
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { processGroupAlive } from '../../test/harness/control-plane.js';
import { simulatorTables, tryCommands } from './report.js';
import { DemoStopped, Resources } from './resources.js';
import { runScenario, vip, type ScenarioOutcome } from './scenario.js';
import { NS, startDemoStack, type DemoStack } from './stack.js';

const { values: flags } = parseArgs({ options: { once: { type: 'boolean', default: false } } });
const progress = (msg: string) => process.stderr.write(`amko demo: ${msg}\n`);
const out = (text: string) => process.stdout.write(text + '\n');

const res = new Resources();
let exiting = false;
function shutdown(code: number): void {
  if (exiting) return;
  exiting = true;
  void res.stopAll(progress).then(() => {
    progress(code === 0 ? 'stopped; nothing it started is left running' : 'stopped after a failure');
    process.exit(code);
  });
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    if (!exiting) progress(`${sig}: stopping`);
    shutdown(0);
  });
}

async function simulatorNow(stack: DemoStack, createdBy: string): Promise<string> {
  const [gss, hms] = await Promise.all([stack.avi.listGslbServices(createdBy, '*'), stack.avi.listHealthMonitors('*')]);
  return simulatorTables(gss, hms);
}

async function report(stack: DemoStack, o: ScenarioOutcome, simulator: string): Promise<string> {
  const status = await stack.kubectl(stack.contexts[0]!, ['get', 'gslbconfig,gdp', '-n', NS]);
  return [
    `amko demo ready in ${(performance.now() / 1000).toFixed(1)} s: ${stack.contexts.length} kube-apiservers, the Avi simulator, amko serve with the reconcile worker.`,
    '',
    `Applied with kubectl (context ${stack.contexts[0]} unless named):`,
    ...o.applied.map((l) => `  ${l}`),
    '',
    'An invalid change, refused by the validating webhook:',
    `$ ${o.rejection.command}`,
    o.rejection.stderr.trimEnd(),
    '',
    `On the Avi simulator (${stack.sim.url}), created by ${o.createdBy}:`,
    simulator,
    '',
    'Status in the cluster:',
    `$ kubectl get gslbconfig,gdp -n ${NS}`,
    (status.stdout || status.stderr).trimEnd(),
  ].join('\n');
}

function tryIt(stack: DemoStack, o: ScenarioOutcome): string {
  const t = tryCommands({
    kubeconfig: stack.kubeconfig,
    contexts: stack.contexts,
    gdpName: o.gdpName,
    namespace: NS,
    ingress: o.ingress,
    newVip: vip(stack.contexts.length - 1, 20),
    sim: {
      url: stack.sim.url,
      ...stack.aviUser,
      version: stack.sim.store.controllerVersion,
      caFile: stack.aviCaFile,
      cookieJar: path.join(stack.dir, 'avi-cookies'),
    },
    createdBy: o.createdBy,
  });
  return [
    `Try a change in another terminal (any recent kubectl, or the demo's: ${stack.tools.kubectl}):`,
    ...t.changes.map((l) => `  ${l}`),
    'The simulator is printed here again whenever it changes. To read it yourself:',
    ...t.simulator.map((l) => `  ${l}`),
    `amko's log: ${stack.serverLog}`,
    'Ctrl-C stops the demo and everything it started.',
  ].join('\n');
}

/** Prints the simulator's tables whenever they differ from the last ones printed; ends the demo if amko serve dies. */
async function watchSimulator(stack: DemoStack, createdBy: string, shown: string): Promise<void> {
  let busy = false;
  const timer = setInterval(() => {
    if (busy || exiting) return;
    if (!processGroupAlive(stack.server.pid)) {
      progress(`amko serve exited; the end of its log:\n${stack.server.logTail(10)}`);
      shutdown(1);
      return;
    }
    busy = true;
    simulatorNow(stack, createdBy)
      .then((now) => {
        if (now === shown || exiting) return;
        shown = now;
        out(`\n[${new Date().toTimeString().slice(0, 8)}] the Avi simulator now holds:\n${now}`);
      })
      .catch((e: unknown) => progress(`reading the simulator failed: ${(e as Error).message}`))
      .finally(() => (busy = false));
  }, 1000);
  await res.adopt('the simulator watch', async () => clearInterval(timer));
}

async function main(): Promise<void> {
  progress(`starting (${flags.once ? 'prints the report and exits' : 'Ctrl-C stops it'})`);
  const stack = await startDemoStack(res, progress);
  const outcome = await runScenario(stack, progress);
  const simulator = await simulatorNow(stack, outcome.createdBy);
  out('\n' + (await report(stack, outcome, simulator)) + '\n');
  if (flags.once) {
    shutdown(0);
    return;
  }
  out(tryIt(stack, outcome));
  await watchSimulator(stack, outcome.createdBy, simulator);
}

main().catch((e: unknown) => {
  if (e instanceof DemoStopped || res.isStopping) return; // a signal ended the start-up; shutdown() is under way
  progress(`failed: ${e instanceof Error ? e.message : String(e)}`);
  shutdown(1);
});
