// `amko plan`: a dry run of the reconcile worker. Prints the GslbServices and
// health monitors it would create, update or delete; writes nothing.
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { AviClient } from '../avi/client.js';
import { loadOwnKubeConfig } from '../kube/kubeconfig.js';
import { createLogger } from '../log.js';
import { computePlan, formatPlan } from '../reconcile/dry-run.js';

export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description('dry run of the reconcile worker: print the GslbService/health monitor changes it would make, writing nothing')
    .option('--kubeconfig <file>', 'kubeconfig of the cluster holding the GSLBConfig/GDP (default: in-cluster)')
    .addOption(new Option('--member-kubeconfig <file>', 'kubeconfig with one context per member cluster').env('GSLB_CONFIG'))
    .option('-n, --namespace <ns>', 'namespace of the amko objects', 'avi-system')
    .option('--avi-ca-file <file>', 'PEM CA bundle for the Avi controller certificate')
    .option('--avi-insecure-skip-tls-verify', 'do not verify the Avi controller certificate')
    .option('-o, --output <format>', 'text or json', 'text')
    .option('-v, --verbose', 'also list objects that produce no member: not selected, or selected but skipped, with the reason')
    .option('--detailed-exitcode', 'exit 2 when there are changes, 0 when there are none')
    .action(async (o: {
      kubeconfig?: string;
      memberKubeconfig?: string;
      namespace: string;
      aviCaFile?: string;
      aviInsecureSkipTlsVerify?: boolean;
      output: string;
      verbose?: boolean;
      detailedExitcode?: boolean;
    }) => {
      const log = createLogger({ level: 'warn', destination: process.stderr });
      const kc = loadOwnKubeConfig(o.kubeconfig, Boolean(process.env.KUBERNETES_SERVICE_HOST));
      if (!kc) {
        console.error('amko plan: no cluster connection (use --kubeconfig)');
        process.exitCode = 1;
        return;
      }
      try {
        const caPem = o.aviCaFile ? readFileSync(o.aviCaFile) : undefined;
        const plan = await computePlan({
          kubeConfig: kc,
          memberKubeconfig: o.memberKubeconfig,
          namespace: o.namespace,
          log,
          aviFactory: (c) => AviClient.create({ ...c, caPem, insecureSkipTlsVerify: o.aviInsecureSkipTlsVerify, log }),
        });
        if (o.output === 'json') process.stdout.write(JSON.stringify(plan, null, 2) + '\n');
        else process.stdout.write(formatPlan(plan, { verbose: o.verbose }) + '\n');
        if (o.detailedExitcode && plan.operations.length > 0) process.exitCode = 2;
      } catch (err) {
        console.error(`amko plan: ${(err as Error).message}`);
        process.exitCode = 1;
      }
    });
}
