import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import { selectRows, uuidPrimaryKey } from '../../../../../lib/keel/models';

/** A stock item as read: its columns as plain values, named as the attributes. */
export type StockItemRow = InferAttributes<StockItem>;

// Reads are written out as SQL (lib/keel/models/rows.ts says why), each column named as its attribute;
// writes go through the model.
const COLUMNS =
  '"id", "tenant_id" AS "tenantId", "made_on" AS "madeOn", "label", "weight", "serial", "active", "ref", "seen_at" AS "seenAt", "body", "rank", "created_at" AS "createdAt", "updated_at" AS "updatedAt"';

/** A row of stock_items (db/migrations/*-create-stock-items.js). */
export class StockItem extends Model<InferAttributes<StockItem>, InferCreationAttributes<StockItem>> {
  declare id: CreationOptional<string>;
  /** Set by the database from the transaction's app.tenant_id (app/request-settings.ts). */
  declare tenantId: CreationOptional<string>;
  declare madeOn: string;
  declare label: string;
  declare weight: string;
  declare serial: string;
  declare active: boolean;
  declare ref: string | null;
  declare seenAt: Date | null;
  declare body: string;
  declare rank: number;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize): typeof StockItem {
    return StockItem.init(
      {
        id: uuidPrimaryKey(),
        // The database fills and checks it (NOT NULL, row-level security): nothing to validate here.
        tenantId: { type: DataTypes.UUID, field: 'tenant_id' },
        madeOn: { type: DataTypes.DATEONLY, allowNull: false, field: 'made_on' },
        label: { type: DataTypes.STRING(255), allowNull: false },
        weight: { type: DataTypes.DECIMAL(12, 2), allowNull: false },
        serial: { type: DataTypes.BIGINT, allowNull: false },
        active: { type: DataTypes.BOOLEAN, allowNull: false },
        ref: { type: DataTypes.UUID, allowNull: true },
        seenAt: { type: DataTypes.DATE, allowNull: true, field: 'seen_at' },
        body: { type: DataTypes.TEXT, allowNull: false },
        rank: { type: DataTypes.INTEGER, allowNull: false },
        createdAt: { type: DataTypes.DATE, field: 'created_at' },
        updatedAt: { type: DataTypes.DATE, field: 'updated_at' },
      },
      { sequelize, tableName: 'stock_items' },
    );
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

  /**
   * Changes the stock item with this id and returns it as stored (7.5 as 7.50), if there is one: one
   * UPDATE … RETURNING, so a row deleted by a transaction that committed meanwhile is none, not a change.
   */
  static async changeRow(id: string, changes: Partial<InferCreationAttributes<StockItem>>): Promise<StockItem | undefined> {
    const [, [row]] = await StockItem.update(changes, { where: { id }, returning: true });
    return row;
  }
}
