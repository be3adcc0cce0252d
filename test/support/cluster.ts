import { spawnServer, WWW, type ServerProcess } from './process';

// A JSON line, its fields in any order.
const LISTENING = /^(?=.*"message":"listening")(?=.*"pid":(\d+))(?=.*"port":(\d+))/gm;

/** The workers that have logged "listening" so far (a production-mode, JSON-logging process). */
export function listeningWorkers(output: string): { pid: number; port: number }[] {
  return [...output.matchAll(LISTENING)].map((match) => ({ pid: Number(match[1]), port: Number(match[2]) }));
}

/** Polls until probe returns a value; fails after timeoutMs naming what it waited for. */
export async function waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Spawns bin/www in production mode with WEB_CONCURRENCY=workers and waits until every worker listens. */
export async function startCluster(
  workers: number,
  env: Record<string, string>,
  www: string = WWW,
): Promise<{ server: ServerProcess; port: number; pids: number[] }> {
  const server = spawnServer(
    {
      NODE_ENV: 'production',
      PORT: '0',
      LOG_LEVEL: 'info',
      WEB_CONCURRENCY: String(workers),
      AUTH: 'off',
      ...env,
    },
    www,
  );
  try {
    const listening = await waitFor(
      () => {
        const found = listeningWorkers(server.output());
        return found.length >= workers ? found : undefined;
      },
      20_000,
      `${workers} workers listening`,
    );
    return { server, port: (listening[0] as { port: number }).port, pids: listening.map((worker) => worker.pid) };
  } catch (error) {
    await server.kill();
    throw error;
  }
}
