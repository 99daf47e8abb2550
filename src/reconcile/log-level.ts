// GSLBConfig spec.logLevel, applied live to the process's logger on every
// replica: the level of the GSLBConfig in force when it sets one, else the
// level the process started with (--log-level). Children of the logger follow
// it (they inherit the level unless given their own).
import type { GSLBConfig } from '../api/gslbconfig.js';
import { pinoLevel, type Logger } from '../log.js';
import type { OwnClusterCache } from '../manager/cache.js';
import type { Runnable } from '../manager/manager.js';
import { configInForce } from './gslb-config.js';

export function logLevelFollower(cache: Pick<OwnClusterCache, 'list' | 'onEvent'>, log: Logger): Runnable {
  const initial = log.level;
  let off: (() => void) | undefined;
  const apply = () => {
    const { gc } = configInForce(cache.list('GSLBConfig') as unknown as GSLBConfig[]);
    const level = gc?.spec?.logLevel ? pinoLevel(gc.spec.logLevel) : initial;
    if (log.level === level) return;
    log.level = level;
    log.info({ level, gslbConfig: gc?.metadata?.name }, 'log level changed');
  };
  return {
    name: 'log-level',
    async start() {
      off ??= cache.onEvent('GSLBConfig', apply);
      apply();
    },
    async stop() {
      off?.();
      off = undefined;
    },
  };
}
