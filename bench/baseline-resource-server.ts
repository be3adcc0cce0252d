// The resource mode's baseline: bare Express 4 and pg serving the generated widgets resource with the
// SQL keel's generated model runs (read off the statements keel's pg client sends, NODE_ENV=development):
// the same SELECTs, INSERT … RETURNING, UPDATE … RETURNING and DELETE, the values bound as keel binds
// them (the DELETE's id inline, as Sequelize writes it). Writes are served twice:
// - /widgets: the statement alone, autocommit (one round trip: the limit of a write);
// - /unit-of-work/widgets: the statements of keel's unit of work on one pooled client, the begin with
//   the settings as one simple query, the statement, COMMIT (ROLLBACK on failure), so that what keel
//   adds to the same round trips shows alone.
// No validation, no helmet, no logging. Run as its own process by bench/run.ts (DATABASE_URL,
// DB_POOL_MAX, BENCH_SETTINGS: the unit of work's settings as JSON); prints its port as a JSON
// "listening" line.
import express, { type Request, type Response, type NextFunction } from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { escapeLiteral, Pool, type QueryResult, type QueryResultRow } from 'pg';

const COLUMNS = '"id","name","size","note","created_at","updated_at"';
const INSERT = `INSERT INTO "widgets" (${COLUMNS}) VALUES (uuidv7(),$1,$2,$3,$4,$5) RETURNING ${COLUMNS};`;
const UPDATE = `UPDATE "widgets" SET "size"=$1,"updated_at"=$2 WHERE "id" = $3 RETURNING ${COLUMNS}`;
const DELETE = (id: string): string => `DELETE FROM "widgets" WHERE "id" = ${escapeLiteral(id)}`;
// The statements of the generated model's findRow and findPage.
const SELECTED = `"id", "name", "size", "note", "created_at" AS "createdAt", "updated_at" AS "updatedAt"`;
const SELECT = `SELECT ${SELECTED} FROM "widgets" WHERE "id" = $1`;
const PAGE = `SELECT ${SELECTED} FROM "widgets" ORDER BY "id" LIMIT $1`;

const poolMax = Number(process.env.DB_POOL_MAX);
if (!Number.isInteger(poolMax) || poolMax < 1) throw new Error("DB_POOL_MAX must be set to keel's pool size (bench/resource.ts sets it)");
const settings = Object.entries(JSON.parse(process.env.BENCH_SETTINGS ?? '{}') as Record<string, string>);
// A unit of work's begin as hand-written pg code sends it: START TRANSACTION and the settings in one simple query,
// one round trip of its own (keel sends it with the first statement: lib/keel/db/unit-of-work.ts).
const BEGIN =
  settings.length === 0
    ? 'START TRANSACTION;'
    : `START TRANSACTION; SELECT ${settings.map(([name, value]) => `set_config(${escapeLiteral(`app.${name}`)}, ${escapeLiteral(value)}, true)`).join(', ')}`;

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: poolMax });
type Run = <Row extends QueryResultRow>(sql: string, values?: unknown[]) => Promise<QueryResult<Row>>;

/** The statement alone, autocommit. */
const autocommit: Run = (sql, values) => pool.query(sql, values);

/** The statement in keel's unit of work: begin with the settings, the statement, commit; rollback on failure. */
const inUnitOfWork: Run = async (sql, values) => {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query(BEGIN);
    try {
      const result = await client.query(sql, values);
      await client.query('COMMIT;');
      return result;
    } catch (error) {
      await client.query('ROLLBACK;').catch((rollback: unknown) => (broken = rollback as Error));
      throw error;
    }
  } finally {
    client.release(broken);
  }
};

/** A row as SELECT names it; INSERT and UPDATE … RETURNING name the columns as they are, as keel's do. */
interface WidgetRow {
  readonly id: string;
  readonly name: string;
  readonly size: number;
  readonly note: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}
type WrittenRow = Omit<WidgetRow, 'createdAt' | 'updatedAt'> & { readonly created_at: Date; readonly updated_at: Date };

const body = (row: WidgetRow): object => ({ ...row, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() });
const written = ({ created_at: createdAt, updated_at: updatedAt, ...row }: WrittenRow): object => body({ ...row, createdAt, updatedAt });
// Sequelize sends dates as text in this form; so does the baseline.
const now = (): string => new Date().toISOString().replace('T', ' ').replace('Z', ' +00:00');

type Handler = (req: Request, res: Response) => Promise<void>;
const handled =
  (handler: Handler) =>
  (req: Request, res: Response, next: NextFunction): void => {
    handler(req, res).catch(next);
  };

function writes(run: Run): express.Router {
  const router = express.Router();
  router.post(
    '/',
    handled(async (req, res) => {
      const { name, size, note } = req.body as { name: string; size: number; note?: string };
      const at = now();
      const result = await run<WrittenRow>(INSERT, [name, size, note ?? null, at, at]);
      const row = result.rows[0] as WrittenRow;
      res.status(201).location(`${req.baseUrl}/${row.id}`).json(written(row));
    }),
  );
  router.patch(
    '/:id',
    handled(async (req, res) => {
      const { size } = req.body as { size: number };
      const row = (await run<WrittenRow>(UPDATE, [size, now(), req.params.id])).rows[0];
      if (row) res.json(written(row));
      else res.status(404).json({ status: 404 });
    }),
  );
  router.delete(
    '/:id',
    handled(async (req, res) => {
      const deleted = (await run(DELETE(req.params.id as string))).rowCount;
      if (deleted) res.status(204).end();
      else res.status(404).json({ status: 404 });
    }),
  );
  return router;
}

const app = express();
app.use(express.json());

app.get(
  '/widgets',
  handled(async (req, res) => {
    const limit = Number(req.query.limit ?? 20);
    const rows = (await pool.query<WidgetRow>(PAGE, [limit + 1])).rows;
    const page = rows.slice(0, limit);
    res.json({ items: page.map(body), next: rows.length > limit ? (page.at(-1)?.id ?? null) : null });
  }),
);
app.get(
  '/widgets/:id',
  handled(async (req, res) => {
    const row = (await pool.query<WidgetRow>(SELECT, [req.params.id])).rows[0];
    if (row) res.json(body(row));
    else res.status(404).json({ status: 404 });
  }),
);
app.use('/widgets', writes(autocommit));
app.use('/unit-of-work/widgets', writes(inUnitOfWork));

const server = http.createServer(app);
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ message: 'listening', port, pid: process.pid })}\n`);
});

process.on('SIGTERM', () => {
  server.close(() => void pool.end().then(() => process.exit(0)));
  server.closeIdleConnections();
});
