import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import { selectRows, uuidPrimaryKey } from '../../../../../lib/keel/models';

/** A widget as read: its columns as plain values, named as the attributes. */
export type WidgetRow = InferAttributes<Widget>;

// Reads are written out as SQL (lib/keel/models/rows.ts says why), each column named as its attribute;
// writes go through the model.
const COLUMNS = '"id", "name", "size", "note", "created_at" AS "createdAt", "updated_at" AS "updatedAt"';

/** A row of widgets (db/migrations/*-create-widgets.js). */
export class Widget extends Model<InferAttributes<Widget>, InferCreationAttributes<Widget>> {
  declare id: CreationOptional<string>;
  declare name: string;
  declare size: number;
  declare note: string | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize): typeof Widget {
    return Widget.init(
      {
        id: uuidPrimaryKey(),
        name: { type: DataTypes.STRING(255), allowNull: false },
        size: { type: DataTypes.INTEGER, allowNull: false },
        note: { type: DataTypes.TEXT, allowNull: true },
        createdAt: { type: DataTypes.DATE, field: 'created_at' },
        updatedAt: { type: DataTypes.DATE, field: 'updated_at' },
      },
      { sequelize, tableName: 'widgets' },
    );
  }

  /** The widget with this id, if there is one. */
  static async findRow(id: string): Promise<WidgetRow | undefined> {
    const [row] = await selectRows<WidgetRow>(Widget, `SELECT ${COLUMNS} FROM "widgets" WHERE "id" = $1`, [id]);
    return row;
  }

  /** Up to limit widgets in id order, which is creation order (UUIDv7); those after the id after when it is given. */
  static findPage(limit: number, after?: string): Promise<WidgetRow[]> {
    return after === undefined
      ? selectRows<WidgetRow>(Widget, `SELECT ${COLUMNS} FROM "widgets" ORDER BY "id" LIMIT $1`, [limit])
      : selectRows<WidgetRow>(Widget, `SELECT ${COLUMNS} FROM "widgets" WHERE "id" > $1 ORDER BY "id" LIMIT $2`, [after, limit]);
  }

  /**
   * Changes the widget with this id and returns it as stored (7.5 as 7.50), if there is one: one
   * UPDATE … RETURNING, so a row deleted by a transaction that committed meanwhile is none, not a change.
   */
  static async changeRow(id: string, changes: Partial<InferCreationAttributes<Widget>>): Promise<Widget | undefined> {
    const [, [row]] = await Widget.update(changes, { where: { id }, returning: true });
    return row;
  }
}
