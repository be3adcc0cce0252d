// What one verification of the bench's token costs, measured in the bench's own process: what each
// request would pay on top if keel did not keep verified claims, to read the authentication
// comparison against (keel finds the token in its cache, so its requests do not pay it).

const WARMUP_VERIFICATIONS = 50;
export const VERIFICATIONS = 500;

export interface VerificationCost {
  /** CPU time (user + system) of the bench process per verification, µs. */
  readonly cpuMicros: number;
  /** Wall time per verification, µs: more than the CPU time when other work takes the cores. */
  readonly wallMicros: number;
}

/** verify run VERIFICATIONS times one after the other, after WARMUP_VERIFICATIONS not counted. */
export async function measureVerification(verify: () => Promise<unknown>): Promise<VerificationCost> {
  for (let i = 0; i < WARMUP_VERIFICATIONS; i += 1) await verify();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < VERIFICATIONS; i += 1) await verify();
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return { cpuMicros: (cpu.user + cpu.system) / VERIFICATIONS, wallMicros: (wallMs * 1000) / VERIFICATIONS };
}
