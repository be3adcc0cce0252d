import type { ResponseConfig } from '@asteasolutions/zod-to-openapi';
import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import type { z } from 'zod';
import { validateRequest } from './validation';

export type OperationMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** A reference to a shared response of the document, e.g. { $ref: '#/components/responses/NotFound' }. */
export type ResponseReference = { $ref: string };

/** Named examples of a request or response body, as the OpenAPI document shows them. */
export type Examples = Readonly<Record<string, { readonly summary: string; readonly value: unknown }>>;

/**
 * One operation, declared once: its schemas validate the request (lib/keel/http/validation.ts), type the
 * handler's req.params, req.query and req.body, and describe it in the OpenAPI document
 * (lib/keel/http/openapi.ts). Errors every request can meet (400, 408, 413, 414, 415, 500, 503) are added to
 * its responses by the document; list the ones of its own (2xx, 404, …).
 */
export interface Operation<
  P extends z.ZodType | undefined = z.ZodType | undefined,
  Q extends z.ZodType | undefined = z.ZodType | undefined,
  B extends z.ZodType | undefined = z.ZodType | undefined,
> {
  readonly method: OperationMethod;
  /** Relative to its route table entry, with OpenAPI's {name} for parameters: '/', '/{id}'. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  /** OpenAPI security requirements; none ([]: public) unless given. keel ships no authentication. */
  readonly security?: readonly Readonly<Record<string, readonly string[]>>[];
  readonly params?: P;
  readonly query?: Q;
  readonly body?: B;
  /** Examples of the request body for the document (every body there has one). */
  readonly bodyExamples?: Examples;
  readonly responses: Readonly<Record<number, ResponseConfig | ResponseReference>>;
}

type Parsed<S, Otherwise> = S extends z.ZodType ? z.output<S> : Otherwise;

/** The handler of an operation: req.params, req.query and req.body typed by its schemas, and already valid. */
export type OperationHandler<P, Q, B> = (
  req: Request<Parsed<P, Record<string, never>>, unknown, Parsed<B, unknown>, Parsed<Q, Record<string, never>>>,
  res: Response,
  next: NextFunction,
) => void | Promise<void>;

/** Declares an operation (a typed identity: the schemas' types flow to the handler given to handle()). */
export function operation<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(declaration: Operation<P, Q, B>): Operation<P, Q, B> {
  return declaration;
}

/** '/{id}' → '/:id' (Express's parameter syntax). */
export const expressPath = (path: string): string => path.replace(/\{(\w+)\}/g, ':$1');

/**
 * Serves an operation on a router: its request is validated first when it declares schemas, and
 * the handler runs only on a valid one. An operation without schemas gets the handler alone.
 */
export function handle<P extends z.ZodType | undefined, Q extends z.ZodType | undefined, B extends z.ZodType | undefined>(
  router: Router,
  declared: Operation<P, Q, B>,
  handler: OperationHandler<P, Q, B>,
): void {
  const validate = validateRequest({ params: declared.params, query: declared.query, body: declared.body });
  const handlers = [...(validate ? [validate] : []), handler as unknown as RequestHandler];
  router[declared.method](expressPath(declared.path), ...handlers);
}
