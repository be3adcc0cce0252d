// The keel settings the bench reasons about (probe window, probe timeout, shutdown deadline, pool
// size): the bench's environment's value, which is passed through to keel, else the config schema's default.
import { envSpec } from '../config/env';

export type KeelSetting = 'DB_PROBE_CACHE_MS' | 'DB_PROBE_TIMEOUT_MS' | 'SHUTDOWN_TIMEOUT_MS' | 'DB_POOL_MAX';

/** keel's default for a setting: the config schema's. */
export const keelDefault = (name: KeelSetting): number => Number(envSpec[name].default);

/** True when the bench's environment sets the setting, so keel does not run with its default. */
export const isSet = (name: KeelSetting): boolean => Boolean(process.env[name]);

/** The value keel runs with: the environment's when it is a positive integer, else keel's default. */
export function keelSetting(name: KeelSetting): number {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : keelDefault(name);
}
