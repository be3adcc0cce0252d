import { QueryTypes, type Model, type ModelStatic } from 'sequelize';

/**
 * The rows of one SELECT on a model's database, as plain objects: the statement as written, its
 * values bound ($1, $2, …), no model instance built. Reads are a service's hottest path, and a
 * finder (findByPk, findAll) spends more CPU building its SQL and instances than the database spends
 * answering (docs/benchmarks.md). It is still a Sequelize query: inside a unit of work it runs in
 * that transaction, outside one on a replica when there is one, and it fails with Sequelize's errors.
 */
export function selectRows<Row extends object>(model: ModelStatic<Model>, sql: string, values: readonly unknown[]): Promise<Row[]> {
  const { sequelize } = model;
  if (!sequelize) throw new Error(`${model.name} is not initialised: add it to MODELS (app/models/index.ts)`);
  return sequelize.query<Row>(sql, { bind: [...values], type: QueryTypes.SELECT });
}
