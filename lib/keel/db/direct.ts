import type { Sequelize } from 'sequelize';
import type { ReadRouting } from './replica-reads';
import type { DatabaseTracer } from './traced';

/** What createDatabase gives the reads of its Sequelize: the replica routing and the query log. */
export interface DirectReads {
  readonly routing: ReadRouting;
  /** Called after each statement, as Sequelize calls its logging option. */
  readonly logQuery: (sql: string, durationMs: number) => void;
  /** Spans for the statements, when tracing is on. */
  readonly tracer?: DatabaseTracer | undefined;
}

const directReads = new WeakMap<Sequelize, DirectReads>();

/** Lets selectRows on this Sequelize run its statements on a pooled connection itself (lib/keel/db/reads.ts). */
export function enableDirectReads(sequelize: Sequelize, reads: DirectReads): void {
  directReads.set(sequelize, reads);
}

/** What createDatabase gave this Sequelize's reads, if it did: their routing, and the query log and tracer keel's own statements use too. */
export const directReadsOf = (sequelize: Sequelize): DirectReads | undefined => directReads.get(sequelize);
