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
 * The columns of stock_items (db/migrations/*-create-stock-items.js and any migration that changes it),
 * one line each, typed with the value a row holds: a column a migration adds is added here as one line.
 */
const ATTRIBUTES = {
  id: uuidPrimaryKey(),
  // Set by the database from the transaction's app.tenant_id (app/request-settings.ts), and checked by
  // it (NOT NULL, row-level security): nothing to validate here.
  tenantId: attribute<string>({ type: DataTypes.UUID, field: 'tenant_id' }),
  madeOn: attribute<string>({ type: DataTypes.DATEONLY, allowNull: false, field: 'made_on' }),
  label: attribute<string>({ type: DataTypes.STRING(255), allowNull: false }),
  weight: attribute<string>({ type: DataTypes.DECIMAL(12, 2), allowNull: false }),
  serial: attribute<string>({ type: DataTypes.BIGINT, allowNull: false }),
  active: attribute<boolean>({ type: DataTypes.BOOLEAN, allowNull: false }),
  ref: attribute<string | null>({ type: DataTypes.UUID, allowNull: true }),
  seenAt: attribute<Date | null>({ type: DataTypes.DATE, allowNull: true, field: 'seen_at' }),
  body: attribute<string>({ type: DataTypes.TEXT, allowNull: false }),
  rank: attribute<number>({ type: DataTypes.INTEGER, allowNull: false }),
  ...timestamps(),
};

/** A stock item as read: its columns as plain values, named as the attributes. */
export type StockItemRow = RowOf<typeof ATTRIBUTES>;

/** A new stock item's values: the database fills in its id, tenant and timestamps. */
export type StockItemCreation = Optional<StockItemRow, 'id' | 'tenantId' | 'createdAt' | 'updatedAt'>;

// Reads and writes are written out as SQL (lib/keel/models/rows.ts and writes.ts say why), each column
// named as its attribute.
const COLUMNS = selectListOf(ATTRIBUTES);
const WRITES = writeStatementsOf('stock_items', ATTRIBUTES);

/** The table stock_items. */
export class StockItem extends Model<StockItemRow, StockItemCreation> {
  static initModel(sequelize: Sequelize): typeof StockItem {
    return StockItem.init(ATTRIBUTES, { sequelize, tableName: 'stock_items' });
  }

  /** The stock item with this id, if there is one. */
  static async findRow(id: string): Promise<StockItemRow | undefined> {
    const [row] = await selectRows<StockItemRow>(StockItem, `SELECT ${COLUMNS} FROM "stock_items" WHERE "id" = $1`, [id]);
    return row;
  }

  /** Up to limit stock items in id order, which is creation order (UUIDv7); those after the id after when it is given. */
  static findPage(limit: number, after?: string): Promise<StockItemRow[]> {
    return after === undefined
      ? selectRows<StockItemRow>(StockItem, `SELECT ${COLUMNS} FROM "stock_items" ORDER BY "id" LIMIT $1`, [limit])
      : selectRows<StockItemRow>(StockItem, `SELECT ${COLUMNS} FROM "stock_items" WHERE "id" > $1 ORDER BY "id" LIMIT $2`, [after, limit]);
  }

  /** Creates a stock item and returns it as stored (7.5 as 7.50), with the values the database filled in. */
  static async createRow(values: CreationAttributes<StockItem>): Promise<StockItemRow> {
    const [created] = await writeRows<StockItemRow>(StockItem, WRITES.insert(values));
    // INSERT … RETURNING answers the row it inserted, or fails.
    return created as StockItemRow;
  }

  /**
   * Changes the stock item with this id and returns it as stored, if there is one: one UPDATE … RETURNING,
   * so a row deleted by a transaction that committed meanwhile is none, not a change.
   */
  static async changeRow(id: string, changes: Partial<StockItemRow>): Promise<StockItemRow | undefined> {
    const [changed] = await writeRows<StockItemRow>(StockItem, WRITES.update(id, changes));
    return changed;
  }

  /** Deletes the stock item with this id; false when there was none. */
  static async deleteRow(id: string): Promise<boolean> {
    const deleted = await writeRows(StockItem, WRITES.delete(id));
    return deleted.length > 0;
  }
}
