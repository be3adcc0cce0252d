import { AsyncLocalStorage } from 'node:async_hooks';

/** What every log line written while serving a request carries, however deep the call. */
export interface RequestScope {
  readonly requestId: string;
}

const scope = new AsyncLocalStorage<RequestScope>();

/** Runs the rest of the request (next()) inside its scope. */
export function runInRequestScope<T>(requestScope: RequestScope, fn: () => T): T {
  return scope.run(requestScope, fn);
}

/** The fields of the request being served, for the logger; undefined outside a request. */
export function currentRequestFields(): RequestScope | undefined {
  return scope.getStore();
}

/** Runs fn outside any request's scope: for timers shared by all requests, which must not keep the first one's id. */
export function outsideRequestScope<T>(fn: () => T): T {
  return scope.exit(fn);
}
