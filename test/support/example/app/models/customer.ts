import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import { selectRows, uuidPrimaryKey } from '../../../../../lib/keel/models';

/** A customer as read: its columns as plain values, named as the attributes. */
export type CustomerRow = InferAttributes<Customer>;

// Reads are written out as SQL (lib/keel/models/rows.ts says why), each column named as its attribute;
// writes go through the model.
const COLUMNS = '"id", "name", "email", "created_at" AS "createdAt", "updated_at" AS "updatedAt"';

/** A row of customers (db/migrations/*-create-customers.js). */
export class Customer extends Model<InferAttributes<Customer>, InferCreationAttributes<Customer>> {
  declare id: CreationOptional<string>;
  declare name: string;
  declare email: string | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize): typeof Customer {
    return Customer.init(
      {
        id: uuidPrimaryKey(),
        name: { type: DataTypes.STRING(255), allowNull: false },
        email: { type: DataTypes.TEXT, allowNull: true },
        createdAt: { type: DataTypes.DATE, field: 'created_at' },
        updatedAt: { type: DataTypes.DATE, field: 'updated_at' },
      },
      { sequelize, tableName: 'customers' },
    );
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

  /**
   * Changes the customer with this id and returns it as stored (7.5 as 7.50), if there is one: one
   * UPDATE … RETURNING, so a row deleted by a transaction that committed meanwhile is none, not a change.
   */
  static async changeRow(id: string, changes: Partial<InferCreationAttributes<Customer>>): Promise<Customer | undefined> {
    const [, [row]] = await Customer.update(changes, { where: { id }, returning: true });
    return row;
  }
}
