// Mocha root hooks for the real-Kubernetes harness: register with
// `"require": ["test/harness/hooks.ts"]` in .mocharc (alongside other root-hook files).
import { stopSharedControlPlanes } from './shared.js';

export const mochaHooks = {
  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(60_000);
    await stopSharedControlPlanes();
  },
};
