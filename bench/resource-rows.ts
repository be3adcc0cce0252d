// Rows for PATCH and DELETE to work on, written straight into the bench database by the bench process,
// outside every measured turn, so that both sides change and delete rows alike and neither pays for
// creating them.
import { queryOnce } from '../test/support/database';

/** An upper bound on DELETEs per second of either side on loopback: rows enough for a turn at that rate (the autocommit
 * baseline ran past 8,000 a second in a slice on a quiet host, and its last DELETEs found no row). */
export const DELETES_PER_SECOND_BOUND = 12_000;
/** PATCH goes round these rows: enough that 50 connections seldom wait for each other's row locks. */
export const ROWS_TO_CHANGE = 2_000;

/** Rows named with a prefix of their own, handed out one id after the other. */
export class RowSupply {
  private ids: string[] = [];
  private next = 0;

  constructor(
    private readonly databaseUrl: string,
    private readonly prefix: string,
    /** Hand the rows out in a cycle (PATCH), or each once (DELETE). */
    private readonly cycle: boolean,
  ) {}

  /** Deletes what a previous fill left, then inserts count fresh rows. */
  async fill(count: number): Promise<void> {
    await queryOnce(this.databaseUrl, 'DELETE FROM "widgets" WHERE "name" LIKE $1', [`${this.prefix}-%`]);
    const rows = await queryOnce<{ id: string }>(
      this.databaseUrl,
      `INSERT INTO "widgets" ("id", "name", "size", "note", "created_at", "updated_at")
         SELECT uuidv7(), $1 || '-' || n, 1, 'bench', now(), now() FROM generate_series(1, $2::int) AS n RETURNING "id"`,
      [this.prefix, count],
    );
    this.ids = rows.map((row) => row.id);
    this.next = 0;
  }

  /** The next row's id; once every row has been handed out, a fresh id no row has (a 404, counted as non-2xx). */
  id(): string {
    if (this.next >= this.ids.length) {
      if (!this.cycle || this.ids.length === 0) return '00000000-0000-7000-8000-000000000000';
      this.next = 0;
    }
    return this.ids[this.next++] as string;
  }
}
