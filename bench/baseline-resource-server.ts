// The resource mode's baseline: bare Express 4 and pg serving POST /widgets and GET /widgets/:id
// with the SQL keel's generated model runs (read off keel's SQL log, NODE_ENV=development):
// the same INSERT … RETURNING and SELECT … WHERE id, one statement per request and no transaction,
// no validation, no helmet, no logging. Run as its own process by bench/run.ts (DATABASE_URL,
// DB_POOL_MAX); prints its port as a JSON "listening" line.
import express from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'pg';

const COLUMNS = '"id","name","size","note","created_at","updated_at"';
const INSERT = `INSERT INTO "widgets" (${COLUMNS}) VALUES (uuidv7(),$1,$2,$3,$4,$5) RETURNING ${COLUMNS};`;
// The statement of the generated model's findRow, with the id bound as keel binds it.
const SELECT = `SELECT "id", "name", "size", "note", "created_at" AS "createdAt", "updated_at" AS "updatedAt" FROM "widgets" WHERE "id" = $1`;

const poolMax = Number(process.env.DB_POOL_MAX);
if (!Number.isInteger(poolMax) || poolMax < 1) throw new Error("DB_POOL_MAX must be set to keel's pool size (bench/resource.ts sets it)");
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: poolMax });
const app = express();
app.use(express.json());

/** A row as SELECT names it; INSERT … RETURNING names the columns as they are, as keel's does. */
interface WidgetRow {
  readonly id: string;
  readonly name: string;
  readonly size: number;
  readonly note: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}
type InsertedRow = Omit<WidgetRow, 'createdAt' | 'updatedAt'> & { readonly created_at: Date; readonly updated_at: Date };

const body = (row: WidgetRow): object => ({ ...row, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() });

app.post('/widgets', (req, res, next) => {
  const { name, size, note } = req.body as { name: string; size: number; note?: string };
  const now = new Date();
  pool.query<InsertedRow>(INSERT, [name, size, note ?? null, now, now]).then((result) => {
    const { created_at: createdAt, updated_at: updatedAt, ...row } = result.rows[0] as InsertedRow;
    res
      .status(201)
      .location(`/widgets/${row.id}`)
      .json(body({ ...row, createdAt, updatedAt }));
  }, next);
});

app.get('/widgets/:id', (req, res, next) => {
  pool.query<WidgetRow>(SELECT, [req.params.id]).then((result) => {
    const row = result.rows[0];
    if (row) res.json(body(row));
    else res.status(404).json({ status: 404 });
  }, next);
});

const server = http.createServer(app);
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ message: 'listening', port, pid: process.pid })}\n`);
});

process.on('SIGTERM', () => {
  server.close(() => void pool.end().then(() => process.exit(0)));
  server.closeIdleConnections();
});
