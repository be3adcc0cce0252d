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
  type ModelRegistry,
} from '../../../../../lib/keel/models';
import type { Customer } from './customer';

/**
 * The columns of orders (db/migrations/*-create-orders.js and any migration that changes it),
 * one line each, typed with the value a row holds: a column a migration adds is added here as one line.
 */
const ATTRIBUTES = {
  id: uuidPrimaryKey(),
  customerId: attribute<string>({ type: DataTypes.UUID, allowNull: false, field: 'customer_id' }),
  total: attribute<string>({ type: DataTypes.DECIMAL(12, 2), allowNull: false }),
  note: attribute<string | null>({ type: DataTypes.TEXT, allowNull: true }),
  ...timestamps(),
};

/** An order as read: its columns as plain values, named as the attributes. */
export type OrderRow = RowOf<typeof ATTRIBUTES>;

/** A new order's values: the database fills in its id and timestamps. */
export type OrderCreation = Optional<OrderRow, 'id' | 'createdAt' | 'updatedAt'>;

// Reads and writes are written out as SQL (lib/keel/models/rows.ts and writes.ts say why), each column
// named as its attribute.
const COLUMNS = selectListOf(ATTRIBUTES);
const WRITES = writeStatementsOf('orders', ATTRIBUTES);

/** The table orders. */
export class Order extends Model<OrderRow, OrderCreation> {
  static initModel(sequelize: Sequelize): typeof Order {
    return Order.init(ATTRIBUTES, { sequelize, tableName: 'orders' });
  }

  /** Its parents, for queries that include them (include: '<as>'); the migration's foreign keys hold the rows to them. */
  static associate(models: ModelRegistry): void {
    Order.belongsTo(models.Customer as typeof Customer, { as: 'customer', foreignKey: 'customerId' });
  }

  /** The order with this id, if there is one. */
  static async findRow(id: string): Promise<OrderRow | undefined> {
    const [row] = await selectRows<OrderRow>(Order, `SELECT ${COLUMNS} FROM "orders" WHERE "id" = $1`, [id]);
    return row;
  }

  /** Up to limit orders in id order, which is creation order (UUIDv7); those after the id after when it is given. */
  static findPage(limit: number, after?: string): Promise<OrderRow[]> {
    return after === undefined
      ? selectRows<OrderRow>(Order, `SELECT ${COLUMNS} FROM "orders" ORDER BY "id" LIMIT $1`, [limit])
      : selectRows<OrderRow>(Order, `SELECT ${COLUMNS} FROM "orders" WHERE "id" > $1 ORDER BY "id" LIMIT $2`, [after, limit]);
  }

  /**
   * Up to limit orders of the customer with this id in id order, those after the id after
   * when it is given; undefined when no customer has the id.
   */
  static async findPageOfCustomer(customerId: string, limit: number, after?: string): Promise<OrderRow[] | undefined> {
    const rows =
      after === undefined
        ? await selectRows<OrderRow>(Order, `SELECT ${COLUMNS} FROM "orders" WHERE "customer_id" = $1 ORDER BY "id" LIMIT $2`, [
            customerId,
            limit,
          ])
        : await selectRows<OrderRow>(
            Order,
            `SELECT ${COLUMNS} FROM "orders" WHERE "customer_id" = $1 AND "id" > $2 ORDER BY "id" LIMIT $3`,
            [customerId, after, limit],
          );
    if (rows.length > 0) return rows;
    // No orders: an empty page if the customer exists, none (a 404) if not.
    const [parent] = await selectRows<{ id: string }>(Order, 'SELECT "id" FROM "customers" WHERE "id" = $1', [customerId]);
    return parent ? rows : undefined;
  }

  /** Creates an order and returns it as stored (7.5 as 7.50), with the values the database filled in. */
  static async createRow(values: CreationAttributes<Order>): Promise<OrderRow> {
    const [created] = await writeRows<OrderRow>(Order, WRITES.insert(values));
    // INSERT … RETURNING answers the row it inserted, or fails.
    return created as OrderRow;
  }

  /**
   * Changes the order with this id and returns it as stored, if there is one: one UPDATE … RETURNING,
   * so a row deleted by a transaction that committed meanwhile is none, not a change.
   */
  static async changeRow(id: string, changes: Partial<OrderRow>): Promise<OrderRow | undefined> {
    const [changed] = await writeRows<OrderRow>(Order, WRITES.update(id, changes));
    return changed;
  }

  /** Deletes the order with this id; false when there was none. */
  static async deleteRow(id: string): Promise<boolean> {
    const deleted = await writeRows(Order, WRITES.delete(id));
    return deleted.length > 0;
  }
}
