import { expect } from 'chai';
import sinon from 'sinon';
import { DataTypes, Sequelize } from 'sequelize';
import { uuidPrimaryKey } from '../../lib/keel/models/attributes';
import { uuidv7 } from '../../lib/keel/db/uuid';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const MAX_48_BITS = 2 ** 48 - 1;

/** The 48-bit Unix millisecond timestamp at the front of a version 7 UUID. */
const embeddedMillis = (uuid: string): number => parseInt(uuid.replace(/-/g, '').slice(0, 12), 16);

describe('uuidv7() (app-side, lib/keel/db/uuid.ts)', () => {
  afterEach(() => {
    sinon.restore();
  });

  it('sets version 7 in the version nibble and the RFC 9562 variant (10xx) on every value', () => {
    for (let i = 0; i < 2_000; i += 1) {
      const value = uuidv7();
      const hex = value.replace(/-/g, '');

      expect(value).to.match(UUID_V7);
      expect(hex[12], 'version nibble').to.equal('7');
      expect(parseInt(hex[16] ?? '', 16) >> 2, 'variant bits').to.equal(0b10);
    }
  });

  it('embeds Date.now() at generation, in milliseconds, in the first 48 bits', () => {
    const now = 1_767_225_600_123; // 2026-01-01T00:00:00.123Z
    sinon.useFakeTimers({ now, toFake: ['Date'] });

    const value = uuidv7();

    expect(embeddedMillis(value)).to.equal(now);
  });

  it('embeds the real clock when not faked: between Date.now() before and after the call', () => {
    const before = Date.now();
    const value = uuidv7();
    const after = Date.now();

    expect(embeddedMillis(value)).to.be.within(before, after);
  });

  it('encodes the whole 48-bit range big-endian, from 0 to 2^48 - 1', () => {
    expect(uuidv7(0).slice(0, 15)).to.equal('00000000-0000-7');
    expect(uuidv7(0x0123456789ab).slice(0, 15)).to.equal('01234567-89ab-7');
    expect(uuidv7(MAX_48_BITS).slice(0, 15)).to.equal('ffffffff-ffff-7');
    expect(embeddedMillis(uuidv7(MAX_48_BITS))).to.equal(MAX_48_BITS);
  });

  it('sorts values from successive milliseconds in creation order, as strings', () => {
    const start = Date.now();
    const created = Array.from({ length: 300 }, (_, i) => uuidv7(start + i));

    expect([...created].sort()).to.deep.equal(created);
  });

  it('sorts values whose milliseconds differ in high and low bytes in creation order', () => {
    const times = [0xff, 0x100, 0xffff, 0x10000, 0xffffffff, 0x100000000, MAX_48_BITS - 1, MAX_48_BITS];
    const created = times.map((time) => uuidv7(time));

    expect([...created].sort()).to.deep.equal(created);
  });

  it('gives distinct values within one millisecond (74 random bits)', () => {
    const now = Date.now();
    const values = Array.from({ length: 10_000 }, () => uuidv7(now));

    expect(new Set(values).size).to.equal(values.length);
    for (const value of values) expect(embeddedMillis(value)).to.equal(now);
  });
});

describe('uuidPrimaryKey()', () => {
  it('defaults the id to uuidv7() in the database, so every insert gets a time-ordered key', () => {
    const column = uuidPrimaryKey();

    expect(column).to.include({ primaryKey: true, allowNull: false, type: DataTypes.UUID });
    expect(column.defaultValue).to.deep.equal(Sequelize.literal('uuidv7()'));
  });
});
