import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type NonAttribute,
  type Sequelize,
} from 'sequelize';
import { selectRows, uuidPrimaryKey, type ModelRegistry } from '../../../../../lib/keel/models';
import type { Customer } from './customer';

/** A order as read: its columns as plain values, named as the attributes. */
export type OrderRow = InferAttributes<Order>;

// Reads are written out as SQL (lib/keel/models/rows.ts says why), each column named as its attribute;
// writes go through the model.
const COLUMNS = '"id", "customer_id" AS "customerId", "total", "note", "created_at" AS "createdAt", "updated_at" AS "updatedAt"';

/** A row of orders (db/migrations/*-create-orders.js). */
export class Order extends Model<InferAttributes<Order>, InferCreationAttributes<Order>> {
  declare id: CreationOptional<string>;
  declare customerId: string;
  declare total: string;
  declare note: string | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  /** The customer customerId refers to, where a query includes it (include: 'customer'). */
  declare customer?: NonAttribute<Customer>;

  static initModel(sequelize: Sequelize): typeof Order {
    return Order.init(
      {
        id: uuidPrimaryKey(),
        customerId: { type: DataTypes.UUID, allowNull: false, field: 'customer_id' },
        total: { type: DataTypes.DECIMAL(12, 2), allowNull: false },
        note: { type: DataTypes.TEXT, allowNull: true },
        createdAt: { type: DataTypes.DATE, field: 'created_at' },
        updatedAt: { type: DataTypes.DATE, field: 'updated_at' },
      },
      { sequelize, tableName: 'orders' },
    );
  }

  /** Its parents, for queries that include them; the migration's foreign keys hold the rows to them. */
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

  /**
   * Changes the order with this id and returns it as stored (7.5 as 7.50), if there is one: one
   * UPDATE … RETURNING, so a row deleted by a transaction that committed meanwhile is none, not a change.
   */
  static async changeRow(id: string, changes: Partial<InferCreationAttributes<Order>>): Promise<Order | undefined> {
    const [, [row]] = await Order.update(changes, { where: { id }, returning: true });
    return row;
  }
}
