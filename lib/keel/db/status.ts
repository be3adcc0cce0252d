/** A check's outcome, as the IETF health-check draft names them. */
export type ProbeStatus = 'pass' | 'warn' | 'fail';

const SEVERITY: Record<ProbeStatus, number> = { pass: 0, warn: 1, fail: 2 };

/** The worse of two outcomes. */
export const worse = (a: ProbeStatus, b: ProbeStatus): ProbeStatus => (SEVERITY[a] >= SEVERITY[b] ? a : b);
