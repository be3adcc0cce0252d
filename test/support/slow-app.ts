// keel's HTTP room first (lib/keel/http): its app.ts loads express-async-errors exactly as the service does.
import '../../lib/keel/http';
import express, { type Express } from 'express';
import { QueryTypes } from 'sequelize';
import type { Database } from '../../lib/keel/db';
import { requestDeadline } from '../../lib/keel/http/middleware/deadline';
import { errorHandler } from '../../lib/keel/http/middleware/error-handler';
import { requestId } from '../../lib/keel/http/middleware/request-id';
import { silentLogger } from './app';

/**
 * keel's request middleware around one route, GET /slow, that holds a connection of database for seconds
 * (pg_sleep), as a slow request does; its faults answered by keel's error handler.
 */
export function slowApp(database: Database, seconds: number, deadlineMs: number): Express {
  const logger = silentLogger();
  const app = express();
  app.use(requestId(logger));
  app.use(requestDeadline(deadlineMs, logger));
  app.get('/slow', async (_req, res) => {
    await database.sequelize.query(`SELECT pg_sleep(${seconds})`, { type: QueryTypes.SELECT });
    res.json({ ok: true });
  });
  app.use(errorHandler(logger));
  return app;
}
