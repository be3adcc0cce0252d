import {
  DataTypes,
  Model,
  type Association,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type NonAttribute,
  type Sequelize,
} from 'sequelize';
import { uuidPrimaryKey } from '../../../../lib/keel/models/attributes';
import type { ModelRegistry } from '../../../../lib/keel/models';
import { Part } from './part';

export class Widget extends Model<InferAttributes<Widget>, InferCreationAttributes<Widget>> {
  declare id: CreationOptional<string>;
  declare name: string;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare parts?: NonAttribute<Part[]>;

  declare static associations: { parts: Association<Widget, Part> };

  static initModel(sequelize: Sequelize): typeof Widget {
    return Widget.init(
      {
        id: uuidPrimaryKey(),
        name: { type: DataTypes.TEXT, allowNull: false },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      { sequelize, tableName: 'widgets', underscored: true },
    );
  }

  static associate(models: ModelRegistry): void {
    Widget.hasMany(models.Part as typeof Part, { as: 'parts', foreignKey: 'widgetId' });
  }
}
