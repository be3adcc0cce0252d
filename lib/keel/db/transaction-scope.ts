import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { Sequelize } from 'sequelize';

/**
 * Sequelize's CLS support on AsyncLocalStorage: inside sequelize.transaction(async () => ...),
 * every query and model call uses that transaction without passing it by hand. Sequelize wants a
 * cls-hooked style namespace (get, set, run, bind); this is that, in a few lines.
 */
const storage = new AsyncLocalStorage<Map<string, unknown>>();

const namespace = {
  get: (key: string): unknown => storage.getStore()?.get(key),
  set: (key: string, value: unknown): void => {
    storage.getStore()?.set(key, value);
  },
  // A nested run starts from a copy of the enclosing context, so an inner transaction does not
  // leak into the outer one once it ends.
  run: <T>(fn: (context: Map<string, unknown>) => T): T => {
    const context = new Map(storage.getStore() ?? []);
    return storage.run(context, () => fn(context));
  },
  // Sequelize only checks that bind exists; binding to the current context is what cls-hooked did.
  bind: (fn: (...args: unknown[]) => unknown) => AsyncResource.bind(fn),
};

/** The transaction Sequelize's CLS holds for the code running now, if any. */
export function currentTransaction(): unknown {
  return storage.getStore()?.get('transaction');
}

let installed = false;

/** Installs the namespace once per process (Sequelize keeps it in a static field). */
export function installTransactionScope(): void {
  if (installed) return;
  Sequelize.useCLS(namespace);
  installed = true;
}
