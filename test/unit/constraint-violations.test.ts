import { expect } from 'chai';
import { DatabaseError, ExclusionConstraintError, ForeignKeyConstraintError, UniqueConstraintError, ValidationError } from 'sequelize';
import { classifyConstraintViolation } from '../../lib/keel/db/constraint-violations';
import { CONSTRAINT_VIOLATIONS } from '../../lib/keel/db/faults';

const VALUE = 'sentinel-value@example.invalid';

/** A pg error as the driver hands it to Sequelize: the server's fields, and the SQL. */
const postgresError = (code: string, fields: Record<string, string> = {}) =>
  Object.assign(new Error(`violates a constraint ${VALUE}`), { code, severity: 'ERROR', sql: `INSERT … '${VALUE}'`, ...fields });

const databaseError = (code: string, fields: Record<string, string> = {}) => new DatabaseError(postgresError(code, fields));

describe('classifyConstraintViolation', () => {
  const codes: ReadonlyArray<readonly [string, keyof typeof CONSTRAINT_VIOLATIONS]> = [
    ['23505', 'unique_violation'],
    ['23503', 'foreign_key_violation'],
    // PostgreSQL 18 reports ON DELETE RESTRICT as 23001 where 15 to 17 report 23503: one answer for both.
    ['23001', 'foreign_key_violation'],
    ['23502', 'not_null_violation'],
    ['23514', 'check_violation'],
    ['23P01', 'exclusion_violation'],
    ['23000', 'integrity_violation'],
    // A state of the class PostgreSQL does not define (a RAISE of a product's own) is still one of the class.
    ['23Q42', 'integrity_violation'],
  ];
  for (const [state, code] of codes) {
    it(`classifies SQLSTATE ${state} as ${code}, with its fixed detail`, () => {
      expect(classifyConstraintViolation(databaseError(state))).to.include({ code, detail: CONSTRAINT_VIOLATIONS[code].detail });
    });
  }

  it('classifies Sequelize’s own classes by the SQLSTATE they wrap, or by their class without one', () => {
    expect(classifyConstraintViolation(new UniqueConstraintError({ parent: postgresError('23505') }))?.code).to.equal('unique_violation');
    expect(classifyConstraintViolation(new ForeignKeyConstraintError({}))?.code).to.equal('foreign_key_violation');
    expect(classifyConstraintViolation(new ExclusionConstraintError({}))?.code).to.equal('exclusion_violation');
  });

  const notViolations: ReadonlyArray<readonly [string, unknown]> = [
    ['a statement timeout (57014)', databaseError('57014')],
    ['an undefined table (42P01)', databaseError('42P01')],
    ['a raised exception (P0001)', databaseError('P0001')],
    ['a DatabaseError without a SQLSTATE', new DatabaseError(Object.assign(new Error('x'), { sql: 'SELECT 1' }))],
    ['a model validation error', new ValidationError('invalid', [])],
    ['a pg error not wrapped by Sequelize', postgresError('23505')],
    ['a plain Error', new Error('23505')],
  ];
  for (const [label, error] of notViolations) {
    it(`returns undefined for ${label}`, () => {
      expect(classifyConstraintViolation(error)).to.equal(undefined);
    });
  }

  it('keeps the constraint and table names for the log', () => {
    const violation = classifyConstraintViolation(databaseError('23514', { constraint: 'accounts_age_check', table: 'accounts' }));

    expect(violation).to.include({ constraint: 'accounts_age_check', table: 'accounts' });
  });

  describe('the columns it names', () => {
    const columnsOf = (state: string, fields: Record<string, string>) => classifyConstraintViolation(databaseError(state, fields))?.columns;

    it('names the columns of a key, and never a value', () => {
      const detail = `Key (tenant_id, login_name)=(0190a000-0000-7000-8000-00000000000a, ${VALUE}) already exists.`;

      expect(columnsOf('23505', { detail })).to.deep.equal(['tenant_id', 'login_name']);
    });

    it('reads only up to the first `)=(`, whatever the value holds', () => {
      expect(columnsOf('23505', { detail: 'Key (email)=(a)=(owner_id) already exists.' })).to.deep.equal(['email']);
    });

    it('reads a key in the server’s language too (lc_messages)', () => {
      expect(columnsOf('23505', { detail: `Schlüssel »(email)=(${VALUE})« existiert bereits.` })).to.deep.equal(['email']);
    });

    it('names the key of a row that is missing, still referred to, or overlapped', () => {
      expect(columnsOf('23503', { detail: 'Key (owner_id)=(987654) is not present in table "owners".' })).to.deep.equal(['owner_id']);
      expect(columnsOf('23001', { detail: 'Key (id)=(1) is referenced from table "keepers".' })).to.deep.equal(['id']);
      expect(columnsOf('23P01', { detail: 'Key (during)=([2,3)) conflicts with existing key (during)=([1,5)).' })).to.deep.equal([
        'during',
      ]);
    });

    it('names the column a not-null violation left null, and none for a domain’s', () => {
      expect(columnsOf('23502', { column: 'customer_id', table: 'orders', detail: 'Failing row contains (null).' })).to.deep.equal([
        'customer_id',
      ]);
      expect(columnsOf('23502', { dataType: 'positive_int' })).to.deep.equal([]);
    });

    const unnamed: ReadonlyArray<readonly [string, string]> = [
      ['an expression', `Key (lower(email))=(${VALUE}) already exists.`],
      ['an expression with a comma', 'Key (coalesce(nickname, login_name), tenant_id)=(a, b) already exists.'],
      ['a quoted name', 'Key ("loginName")=(a) already exists.'],
      ['no key at all (no SELECT right on the columns)', 'Key is still referenced from table "keepers".'],
    ];
    for (const [label, detail] of unnamed) {
      it(`names no column for ${label}`, () => {
        expect(columnsOf('23505', { detail })).to.deep.equal([]);
      });
    }

    it('names the column in the constraint’s name where the server withholds the key (row-level security)', () => {
      expect(columnsOf('23505', { constraint: 'stock_items_label_key', table: 'stock_items' })).to.deep.equal(['label']);
      const withheld = { detail: 'Key is not present in table "customers".', constraint: 'orders_customer_id_fkey', table: 'orders' };
      expect(columnsOf('23503', withheld)).to.deep.equal(['customer_id']);
      expect(columnsOf('23P01', { constraint: 'bookings_during_excl', table: 'bookings' })).to.deep.equal(['during']);
    });

    it('reads no name of another table’s or of the product’s own choosing, and prefers the key the server names', () => {
      expect(columnsOf('23505', { constraint: 'owners_label_key', table: 'stock_items' })).to.deep.equal([]);
      expect(columnsOf('23505', { constraint: 'stock_items_label_unique', table: 'stock_items' })).to.deep.equal([]);
      expect(
        columnsOf('23505', { detail: 'Key (email)=(x) already exists.', constraint: 'accounts_login_key', table: 'accounts' }),
      ).to.deep.equal(['email']);
    });

    it('names none for a check or an unknown violation, whose error names no column', () => {
      expect(columnsOf('23514', { detail: 'Key (age)=(1)', column: 'age' })).to.deep.equal([]);
      expect(columnsOf('23000', { column: 'age' })).to.deep.equal([]);
    });
  });
});
