import { DataTypes, Model, type CreationAttributes, type Optional, type Sequelize } from 'sequelize';
import {
  attribute,
  selectListOf,
  selectRows,
  timestamps,
  uuidPrimaryKey,
  writeRows,
  writeStatementsOf,
  type RowOf,
} from '../../../../../lib/keel/models';

/**
 * The columns of widgets (db/migrations/*-create-widgets.js and any migration that changes it),
 * one line each, typed with the value a row holds: a column a migration adds is added here as one line.
 */
const ATTRIBUTES = {
  id: uuidPrimaryKey(),
  name: attribute<string>({ type: DataTypes.STRING(255), allowNull: false }),
  size: attribute<number>({ type: DataTypes.INTEGER, allowNull: false }),
  note: attribute<string | null>({ type: DataTypes.TEXT, allowNull: true }),
  ...timestamps(),
};

/** A widget as read: its columns as plain values, named as the attributes. */
export type WidgetRow = RowOf<typeof ATTRIBUTES>;

/** A new widget's values: the database fills in its id and timestamps. */
export type WidgetCreation = Optional<WidgetRow, 'id' | 'createdAt' | 'updatedAt'>;

// Reads and writes are written out as SQL (lib/keel/models/rows.ts and writes.ts say why), each column
// named as its attribute.
const COLUMNS = selectListOf(ATTRIBUTES);
const WRITES = writeStatementsOf('widgets', ATTRIBUTES);

/** The table widgets. */
export class Widget extends Model<WidgetRow, WidgetCreation> {
  static initModel(sequelize: Sequelize): typeof Widget {
    return Widget.init(ATTRIBUTES, { sequelize, tableName: 'widgets' });
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

  /** Creates a widget and returns it as stored (7.5 as 7.50), with the values the database filled in. */
  static async createRow(values: CreationAttributes<Widget>): Promise<WidgetRow> {
    const [created] = await writeRows<WidgetRow>(Widget, WRITES.insert(values));
    // INSERT … RETURNING answers the row it inserted, or fails.
    return created as WidgetRow;
  }

  /**
   * Changes the widget with this id and returns it as stored, if there is one: one UPDATE … RETURNING,
   * so a row deleted by a transaction that committed meanwhile is none, not a change.
   */
  static async changeRow(id: string, changes: Partial<WidgetRow>): Promise<WidgetRow | undefined> {
    const [changed] = await writeRows<WidgetRow>(Widget, WRITES.update(id, changes));
    return changed;
  }

  /** Deletes the widget with this id; false when there was none. */
  static async deleteRow(id: string): Promise<boolean> {
    const deleted = await writeRows(Widget, WRITES.delete(id));
    return deleted.length > 0;
  }
}
