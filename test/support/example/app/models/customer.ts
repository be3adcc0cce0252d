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
 * The columns of customers (db/migrations/*-create-customers.js and any migration that changes it),
 * one line each, typed with the value a row holds: a column a migration adds is added here as one line.
 */
const ATTRIBUTES = {
  id: uuidPrimaryKey(),
  name: attribute<string>({ type: DataTypes.STRING(255), allowNull: false }),
  email: attribute<string | null>({ type: DataTypes.TEXT, allowNull: true }),
  ...timestamps(),
};

/** A customer as read: its columns as plain values, named as the attributes. */
export type CustomerRow = RowOf<typeof ATTRIBUTES>;

/** A new customer's values: the database fills in its id and timestamps. */
export type CustomerCreation = Optional<CustomerRow, 'id' | 'createdAt' | 'updatedAt'>;

// Reads and writes are written out as SQL (lib/keel/models/rows.ts and writes.ts say why), each column
// named as its attribute.
const COLUMNS = selectListOf(ATTRIBUTES);
const WRITES = writeStatementsOf('customers', ATTRIBUTES);

/** The table customers. */
export class Customer extends Model<CustomerRow, CustomerCreation> {
  static initModel(sequelize: Sequelize): typeof Customer {
    return Customer.init(ATTRIBUTES, { sequelize, tableName: 'customers' });
  }

  /** The customer with this id, if there is one. */
  static async findRow(id: string): Promise<CustomerRow | undefined> {
    const [row] = await selectRows<CustomerRow>(Customer, `SELECT ${COLUMNS} FROM "customers" WHERE "id" = $1`, [id]);
    return row;
  }

  /** Up to limit customers in id order, which is creation order (UUIDv7); those after the id after when it is given. */
  static findPage(limit: number, after?: string): Promise<CustomerRow[]> {
    return after === undefined
      ? selectRows<CustomerRow>(Customer, `SELECT ${COLUMNS} FROM "customers" ORDER BY "id" LIMIT $1`, [limit])
      : selectRows<CustomerRow>(Customer, `SELECT ${COLUMNS} FROM "customers" WHERE "id" > $1 ORDER BY "id" LIMIT $2`, [after, limit]);
  }

  /** Creates a customer and returns it as stored (7.5 as 7.50), with the values the database filled in. */
  static async createRow(values: CreationAttributes<Customer>): Promise<CustomerRow> {
    const [created] = await writeRows<CustomerRow>(Customer, WRITES.insert(values));
    // INSERT … RETURNING answers the row it inserted, or fails.
    return created as CustomerRow;
  }

  /**
   * Changes the customer with this id and returns it as stored, if there is one: one UPDATE … RETURNING,
   * so a row deleted by a transaction that committed meanwhile is none, not a change.
   */
  static async changeRow(id: string, changes: Partial<CustomerRow>): Promise<CustomerRow | undefined> {
    const [changed] = await writeRows<CustomerRow>(Customer, WRITES.update(id, changes));
    return changed;
  }

  /** Deletes the customer with this id; false when there was none. */
  static async deleteRow(id: string): Promise<boolean> {
    const deleted = await writeRows(Customer, WRITES.delete(id));
    return deleted.length > 0;
  }
}
