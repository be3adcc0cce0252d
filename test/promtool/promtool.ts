import { spawnSync } from 'node:child_process';

const PROMTOOL = process.env.PROMTOOL ?? 'promtool';

/** Runs promtool with args (and input on stdin); a missing promtool fails, saying how to get it. */
export function promtool(args: readonly string[], input?: string): { code: number | null; output: string } {
  const result = spawnSync(PROMTOOL, args, { input, encoding: 'utf8', timeout: 60_000 });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new Error(`promtool not found (${PROMTOOL}): run .ci/install-promtool and set PROMTOOL to the path it prints`);
  }
  if (result.error) throw result.error;
  return { code: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}
