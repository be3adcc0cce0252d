import type { Model, ModelStatic } from 'sequelize';
import { selectRows as selectOn } from '../db/reads';

/**
 * The rows of one SELECT on a model's database, as plain objects: the statement as written, its
 * values bound ($1, $2, …), no model instance built. Reads are a service's hottest path, and a
 * finder (findByPk, findAll) spends more CPU building its SQL and instances than the database spends
 * answering (docs/benchmark-notes.md#reads-by-id-and-the-access-log). Inside a unit of work it runs
 * in that transaction, outside one on a replica when there is one, and it fails with Sequelize's
 * errors (lib/keel/db/reads.ts).
 */
export function selectRows<Row extends object>(model: ModelStatic<Model>, sql: string, values: readonly unknown[]): Promise<Row[]> {
  const { sequelize } = model;
  if (!sequelize) throw new Error(`${model.name} is not initialised: add it to MODELS (app/models/index.ts)`);
  return selectOn<Row>(sequelize, sql, values);
}
