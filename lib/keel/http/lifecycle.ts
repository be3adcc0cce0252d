/** Where the process is in its life; readiness depends on it, liveness does not. */
export type Phase = 'starting' | 'serving' | 'draining';

export interface Lifecycle {
  readonly phase: Phase;
  /** The server is listening: readiness may now pass. */
  markServing(): void;
  /** Shutdown began: readiness fails from now on, whatever the database says. */
  startDraining(): void;
}

export function createLifecycle(): Lifecycle {
  let phase: Phase = 'starting';
  return {
    get phase() {
      return phase;
    },
    markServing() {
      if (phase === 'starting') phase = 'serving';
    },
    startDraining() {
      phase = 'draining';
    },
  };
}
