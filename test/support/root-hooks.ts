// Root hooks shared by every test file. Test infrastructure that must be torn
// down once per run (API servers, simulators) registers its cleanup here.
const cleanups: Array<() => Promise<void> | void> = [];

export function onRunEnd(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}

export const mochaHooks = {
  async afterAll(): Promise<void> {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  },
};
