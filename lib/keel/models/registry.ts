import type { Model, ModelStatic, Sequelize } from 'sequelize';

/**
 * What every model class provides: initModel() defines its attributes on a Sequelize instance;
 * associate() (optional) links it to the others once all are defined.
 */
export interface ModelDefinition {
  initModel(sequelize: Sequelize): ModelStatic<Model>;
  associate?(models: ModelRegistry): void;
}

export type ModelRegistry = Readonly<Record<string, ModelStatic<Model>>>;

/** Defines every model on the instance, then runs their associations; returns them by name. */
export function initModels(sequelize: Sequelize, definitions: readonly ModelDefinition[]): ModelRegistry {
  const registry: Record<string, ModelStatic<Model>> = {};
  for (const definition of definitions) {
    const model = definition.initModel(sequelize);
    registry[model.name] = model;
  }
  const frozen = Object.freeze(registry);
  for (const definition of definitions) definition.associate?.(frozen);
  return frozen;
}
