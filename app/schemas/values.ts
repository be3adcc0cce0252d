import { z } from 'zod';

// Values that pass a plain zod schema and yet are not stored as sent: a 500 or a changed value
// instead of a 400. The generated schemas use these for their text, date and timestamp fields.

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
