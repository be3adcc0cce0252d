import { SpanKind, type Tracer } from '@opentelemetry/api';
import type { DatabaseTracer } from '../db/traced';
import { ClientGoneError } from '../http/middleware/deadline';
import { activeSpanRecording, inChildSpan } from './spans';
import { hasLiterals, operationOf } from './statement-text';

/**
 * The unit of work and each statement as spans, under the request's. Only inside a recorded trace: a
 * health probe or a migration makes none, and an unsampled request pays one lookup per statement.
 */
export function databaseTracer(tracer: Tracer): DatabaseTracer {
  return {
    recording: activeSpanRecording,
    statement(sql, run) {
      const operation = operationOf(sql);
      const attributes = hasLiterals(sql)
        ? { 'db.system.name': 'postgresql', 'db.operation.name': operation }
        : { 'db.system.name': 'postgresql', 'db.operation.name': operation, 'db.query.text': sql };
      return inChildSpan(tracer, operation, SpanKind.CLIENT, attributes, run);
    },
    unitOfWork(run, signal) {
      if (!activeSpanRecording()) return run();
      return inChildSpan(tracer, 'unit of work', SpanKind.INTERNAL, {}, async (span) => {
        try {
          const result = await run();
          span.setAttribute('keel.unit_of_work.outcome', 'commit');
          return result;
        } catch (error) {
          span.setAttribute('keel.unit_of_work.outcome', 'rollback');
          if (signal?.aborted) {
            const deadline = !(signal.reason instanceof ClientGoneError);
            span.setAttribute('keel.unit_of_work.aborted_by', deadline ? 'deadline' : 'client_gone');
            if (deadline) span.addEvent('deadline');
          }
          throw error;
        }
      });
    },
  };
}
