import http from 'node:http';

export interface LoadTally {
  readonly ok: number;
  readonly failed: number;
  /** What the failures were: a status code or an error code, with how many of each. */
  readonly failures: Readonly<Record<string, number>>;
}

export interface SteadyLoad {
  /** Requests answered so far, failed or not. */
  completed(): number;
  /** Stops the clients and waits for the requests in flight. */
  stop(): Promise<LoadTally>;
}

/**
 * `clients` clients each sending GET `path` one after the other on a shared keep-alive agent, until
 * stopped or until `maxRequests` have been sent (a bound, whatever happens to the test). Anything but
 * a 2xx answer counts as failed.
 */
export function startSteadyLoad(options: {
  readonly port: number;
  readonly path: string;
  readonly clients: number;
  readonly maxRequests: number;
  readonly requestTimeoutMs: number;
}): SteadyLoad {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.clients });
  const failures: Record<string, number> = {};
  let ok = 0;
  let failed = 0;
  let sent = 0;
  let stopped = false;
  const fail = (reason: string): void => {
    failed += 1;
    failures[reason] = (failures[reason] ?? 0) + 1;
  };

  const once = (): Promise<void> =>
    new Promise((resolve) => {
      const req = http.get(
        { host: '127.0.0.1', port: options.port, path: options.path, agent, timeout: options.requestTimeoutMs },
        (res) => {
          res.resume();
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status <= 299) ok += 1;
            else fail(`HTTP ${status}`);
            resolve();
          });
          res.on('error', (error: NodeJS.ErrnoException) => {
            fail(error.code ?? error.message);
            resolve();
          });
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('client timeout'), { code: 'CLIENT_TIMEOUT' })));
      req.on('error', (error: NodeJS.ErrnoException) => {
        fail(error.code ?? error.message);
        resolve();
      });
    });

  const client = async (): Promise<void> => {
    while (!stopped && sent < options.maxRequests) {
      sent += 1;
      await once();
    }
  };
  const clients = Promise.all(Array.from({ length: options.clients }, () => client()));

  return {
    completed: () => ok + failed,
    async stop() {
      stopped = true;
      await clients;
      agent.destroy();
      return { ok, failed, failures: { ...failures } };
    },
  };
}
