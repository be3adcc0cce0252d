import {
  DataTypes,
  Model,
  type Association,
  type CreationOptional,
  type ForeignKey,
  type InferAttributes,
  type InferCreationAttributes,
  type NonAttribute,
  type Sequelize,
} from 'sequelize';
import { uuidPrimaryKey } from '../../../../lib/keel/models/attributes';
import type { ModelRegistry } from '../../../../lib/keel/models';
import type { Widget } from './widget';

export class Part extends Model<InferAttributes<Part>, InferCreationAttributes<Part>> {
  declare id: CreationOptional<string>;
  declare label: string;
  declare widgetId: ForeignKey<Widget['id']>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare widget?: NonAttribute<Widget>;

  declare static associations: { widget: Association<Part, Widget> };

  static initModel(sequelize: Sequelize): typeof Part {
    return Part.init(
      {
        id: uuidPrimaryKey(),
        label: { type: DataTypes.TEXT, allowNull: false },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      { sequelize, tableName: 'parts', underscored: true },
    );
  }

  static associate(models: ModelRegistry): void {
    Part.belongsTo(models.Widget as typeof Widget, { as: 'widget', foreignKey: 'widgetId' });
  }
}
