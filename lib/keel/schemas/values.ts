import { z } from 'zod';

// Values that pass a plain zod schema and yet are not stored as sent: a 500 or a changed value
// instead of a 400. The generated schemas use these for their text, bigint, date and timestamp fields.

// NUL, which PostgreSQL's text cannot hold, and a UTF-16 surrogate without its pair, which UTF-8
// cannot encode (Node would send U+FFFD in its place).
const UNSTORABLE_CHARACTER = /[\0\p{Cs}]/u;

/**
 * Text PostgreSQL stores exactly as sent. A NUL fails the statement, or is escaped by Sequelize into
 * the two characters `\0`; a lone surrogate becomes U+FFFD.
 */
export const storableText = (): z.ZodString =>
  z
    .string()
    .refine((value) => !UNSTORABLE_CHARACTER.test(value), { message: 'Must not contain a NUL character or an unpaired surrogate.' });

const BIGINT_DIGITS = /^-?[0-9]{1,19}$/;
const BIGINT_MIN = -(2n ** 63n);
const BIGINT_MAX = 2n ** 63n - 1n;

/**
 * A bigint as a string of digits (as a JSON number it would lose digits past 2^53), over the whole range
 * of PostgreSQL's bigint: a value past it fails the statement (22003).
 */
export const storableBigint = (): z.ZodString =>
  z
    .string()
    .regex(BIGINT_DIGITS)
    // Only digits have a range (the pattern's own issue covers the rest).
    .refine((value) => !BIGINT_DIGITS.test(value) || (BigInt(value) >= BIGINT_MIN && BigInt(value) <= BIGINT_MAX), {
      message: `Must be from ${BIGINT_MIN} to ${BIGINT_MAX}.`,
    });

/** An ISO 8601 date PostgreSQL's date takes: the year 0000 that ISO allows is out of its range. */
export const storableDate = (): z.ZodISODate =>
  z.iso.date().refine((value) => !value.startsWith('0000'), { message: 'Must be a date from 0001-01-01 on.' });

const FIRST_YEAR = 1;
const LAST_YEAR = 9999;

/** Digits past the millisecond that are not all zeros: a JavaScript Date would drop them. */
const finerThanMilliseconds = (value: string): boolean => /\.\d{3}\d*[1-9]/.test(value);

/**
 * An ISO 8601 date-time with its offset, parsed to the instant it names. At most to the millisecond,
 * as a JavaScript Date holds it (`.123456` would be stored as `.123`), and in the years 0001 to 9999
 * in UTC, which PostgreSQL stores (Sequelize writes an instant of the year 0 as the year 0000, which it
 * refuses) and the response's `toISOString()` writes back in the same format (it writes a later year
 * as `+010000-…`).
 */
export const storableTimestamp = () =>
  z.iso
    .datetime({ offset: true })
    .refine((value) => !finerThanMilliseconds(value), { message: 'Must be precise to the millisecond at most.' })
    .transform((value) => new Date(value))
    .refine((instant) => instant.getUTCFullYear() >= FIRST_YEAR && instant.getUTCFullYear() <= LAST_YEAR, {
      message: 'Must be an instant in the years 0001 to 9999 (UTC).',
    });
