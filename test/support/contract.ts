import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import express, { type Express, type RequestHandler } from 'express';
import { openApiDocument, type OpenApiDocument } from '../../lib/keel/http/openapi';
import { ROUTES } from '../../app/routes';
import type { RouteEntry } from '../../lib/keel/http';
import { readPackageInfo } from '../../config/project';
import { scanText } from './sentinels';

/** One response as a client received it. */
export interface ObservedResponse {
  readonly method: string;
  /** The request target as sent; the query string is ignored. */
  readonly path: string;
  readonly status: number;
  /** Header names in lower case, as Node gives them. */
  readonly headers: Readonly<Record<string, string | string[] | number | undefined>>;
  /** The body as received, '' when there is none. */
  readonly body: string;
  /** The request body as the app parsed it, when the recorder saw one (contractChecked). */
  readonly requestBody?: unknown;
}

// The parts of an OpenAPI document the check reads, as plain JSON.
interface Reference {
  readonly $ref: string;
}
interface Header {
  readonly required?: boolean;
}
interface Response {
  readonly headers?: Readonly<Record<string, Header | Reference>>;
  readonly content?: Readonly<Record<string, unknown>>;
}
type Responses = Readonly<Record<string, Response | Reference>>;
interface Operation {
  readonly responses: Responses;
  readonly requestBody?: { readonly content?: Readonly<Record<string, unknown>> };
}
type PathItem = Readonly<Record<string, Operation | undefined>>;
interface Document {
  readonly paths: Readonly<Record<string, PathItem>>;
  readonly 'x-other-paths': { readonly responses: Responses };
  /** The pages for people (lib/keel/http/openapi.ts): their own files are no operation's, their errors are the document's. */
  readonly 'x-pages'?: { readonly paths: readonly string[]; readonly responses: Responses };
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
type HttpMethod = (typeof HTTP_METHODS)[number];

/** '/widgets/{id}' → a regular expression matching '/widgets/0191…'; literal paths match only themselves. */
function templateMatcher(template: string): RegExp {
  const pattern = template
    .split(/(\{[^/{}]+\})/)
    .map((part) => (part.startsWith('{') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${pattern}$`);
}

const DOCUMENT_ID = 'urn:keel:openapi';

/** JSON Pointer escaping of one path segment (RFC 6901). */
const escapeSegment = (segment: string): string => segment.replace(/~/g, '~0').replace(/\//g, '~1');

/** 'text/plain; version=0.0.4; charset=utf-8' → type and parameters, lower-cased. */
function parseMediaType(value: string): { type: string; parameters: Map<string, string> } {
  const [type = '', ...parameters] = value.split(';').map((part) => part.trim().toLowerCase());
  return { type, parameters: new Map(parameters.map((parameter) => parameter.split('=', 2) as [string, string])) };
}

/** The same type, with every parameter the document names (a charset it does not name is fine). */
function mediaTypeMatches(documented: string, actual: string): boolean {
  const expected = parseMediaType(documented);
  const got = parseMediaType(actual);
  return expected.type === got.type && [...expected.parameters].every(([name, value]) => got.parameters.get(name) === value);
}

interface Found {
  readonly response: Response;
  readonly pointer: string;
  /** Where the operation's JSON request body schema is, when it takes one. */
  readonly requestBodySchema?: string | undefined;
}

const isHttpMethod = (method: string): method is HttpMethod => (HTTP_METHODS as readonly string[]).includes(method);

function describeErrors(errors: readonly ErrorObject[] | null | undefined, what: string): string {
  return (errors ?? [])
    .map((error) => {
      const { additionalProperty, allowedValue, allowedValues } = error.params as Record<string, unknown>;
      const detail = additionalProperty ?? allowedValue ?? allowedValues;
      const extra = detail === undefined ? '' : ` (${JSON.stringify(detail)})`;
      return `${what}${error.instancePath} ${error.message ?? 'is invalid'}${extra}`;
    })
    .join('; ');
}

/**
 * The OpenAPI document as a checker: finds what it says about a method, a path (a literal path
 * first, then a template such as /widgets/{id}) and a status, and lists how a response departs
 * from it; a 2xx answer to a request whose body the document refuses is reported too. Schemas
 * are compiled by Ajv (JSON Schema 2020-12, OpenAPI 3.1's dialect), in strict mode.
 */
export class Contract {
  private readonly ajv: Ajv2020;
  /** The document as served: a JSON round trip, so the checks see what clients see. */
  readonly json: Record<string, unknown>;
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly document: Document;
  private readonly templates: readonly { readonly template: string; readonly matcher: RegExp }[];

  constructor(document: OpenApiDocument) {
    this.json = JSON.parse(JSON.stringify(document)) as Record<string, unknown>;
    this.document = this.json as unknown as Document;
    this.templates = Object.keys(this.document.paths)
      .filter((path) => path.includes('{'))
      .map((template) => ({ template, matcher: templateMatcher(template) }));
    this.ajv = new Ajv2020({ strict: true, allErrors: true });
    addFormats(this.ajv);
    // The whole document is registered, so a local $ref ('#/components/schemas/…') resolves as in the document. Its
    // top-level fields (openapi, info, paths, …) are declared as keywords that validate nothing: strict mode stays on for
    // every schema in it.
    this.ajv.addVocabulary(Object.keys(this.json));
    this.ajv.addSchema(this.json, DOCUMENT_ID);
  }

  /** The compiled schema at a JSON Pointer into the document (e.g. '/components/schemas/Problem'). */
  validator(pointer: string): ValidateFunction {
    let validate = this.validators.get(pointer);
    if (!validate) {
      // In a URI fragment, each pointer segment is percent-encoded too (RFC 6901 §6): media types hold ';' and spaces.
      validate = this.ajv.compile({ $ref: `${DOCUMENT_ID}#${pointer.split('/').map(encodeURIComponent).join('/')}` });
      this.validators.set(pointer, validate);
    }
    return validate;
  }

  /** Violations of the schema at pointer by value, described; '' when there are none. */
  check(pointer: string, value: unknown, what: string): string {
    const validate = this.validator(pointer);
    return validate(value) ? '' : describeErrors(validate.errors, what);
  }

  /** Every way the response departs from the document; empty when it conforms. */
  violations(response: ObservedResponse): string[] {
    const label = `${response.method} ${response.path} → ${response.status}`;
    const found = this.documentedResponse(response);
    // A page's HTML, scripts and styles: what the document says of them is that they are not the API.
    if (found === undefined) return [];
    if (typeof found === 'string') return [`${label}: ${found}`];
    const problems = [...this.headerViolations(found.response, found.pointer, response), ...this.requestViolations(found, response)];
    // A HEAD response has the headers of the GET and no body: status and headers are all there is to check.
    if (response.method.toUpperCase() !== 'HEAD') problems.push(...this.bodyViolations(found.response, found.pointer, response));
    return problems.map((problem) => `${label}: ${problem}`);
  }

  /** The document's path for a request path: itself when listed, else the template it matches. */
  private documentedPath(path: string): string | undefined {
    if (this.document.paths[path]) return path;
    return this.templates.find(({ matcher }) => matcher.test(path))?.template;
  }

  /** A 2xx answer to a request body the document refuses: the app accepted what it should not have. */
  private requestViolations(found: Found, observed: ObservedResponse): string[] {
    const schemaPointer = found.requestBodySchema;
    if (!schemaPointer || observed.requestBody === undefined || observed.status < 200 || observed.status > 299) return [];
    const failure = this.check(schemaPointer, observed.requestBody, 'request body');
    return failure ? [`accepted a request body the document refuses: ${failure}`] : [];
  }

  /** The page (x-pages) a request path is on: the page's own path, or a file under it. */
  private pageOf(path: string): string | undefined {
    return this.document['x-pages']?.paths.find((page) => path === page || path.startsWith(`${page}/`));
  }

  /**
   * The response object the document has for this request and status, or why there is none; undefined for a
   * page's own answer (below 400), which is not the API's.
   */
  private documentedResponse(observed: ObservedResponse): Found | string | undefined {
    const requested = observed.path.split('?')[0] ?? observed.path;
    const path = this.documentedPath(requested) ?? requested;
    const method = observed.method.toLowerCase();
    const item = this.document.paths[path];
    const pages = this.document['x-pages'];
    let requestBodySchema: string | undefined;
    let responses: Responses;
    let base: string;
    if (!item && pages && this.pageOf(path)) {
      if (observed.status < 400) return undefined;
      responses = pages.responses;
      base = '/x-pages/responses';
    } else if (!item) {
      responses = this.document['x-other-paths'].responses;
      base = '/x-other-paths/responses';
    } else if (isHttpMethod(method) && item[method]) {
      responses = item[method].responses;
      base = `/paths/${escapeSegment(path)}/${method}/responses`;
      if (item[method].requestBody?.content?.['application/json']) {
        requestBodySchema = `/paths/${escapeSegment(path)}/${method}/requestBody/content/${escapeSegment('application/json')}/schema`;
      }
    } else if (item['x-other-methods']) {
      responses = item['x-other-methods'].responses;
      base = `/paths/${escapeSegment(path)}/x-other-methods/responses`;
    } else {
      return `${observed.method} is not documented for ${path}`;
    }
    const status = String(observed.status);
    const key = [status, `${status[0] ?? ''}XX`, 'default'].find((candidate) => responses[candidate] !== undefined);
    const documented = key === undefined ? undefined : responses[key];
    if (key === undefined || documented === undefined) {
      const where = item ? `${observed.method} ${path}` : base.startsWith('/x-pages') ? 'a page' : 'a path the document does not list';
      return `status ${status} is not documented for ${where} (documented: ${Object.keys(responses).join(', ')})`;
    }
    const { value, pointer } = this.resolve<Response>(documented, `${base}/${escapeSegment(key)}`);
    return { response: value, pointer, requestBodySchema };
  }

  private headerViolations(documented: Response, pointer: string, observed: ObservedResponse): string[] {
    const problems: string[] = [];
    for (const [name, headerOrRef] of Object.entries(documented.headers ?? {})) {
      const { value: header, pointer: headerPointer } = this.resolve<Header>(headerOrRef, `${pointer}/headers/${escapeSegment(name)}`);
      const raw = observed.headers[name.toLowerCase()];
      if (raw === undefined) {
        if (header.required) problems.push(`the required header ${name} is missing`);
        continue;
      }
      const value = Array.isArray(raw) ? raw.join(', ') : String(raw);
      const failure = this.check(`${headerPointer}/schema`, value, `header ${name} (${JSON.stringify(value)})`);
      if (failure) problems.push(failure);
    }
    return problems;
  }

  private bodyViolations(documented: Response, pointer: string, observed: ObservedResponse): string[] {
    const contentType = observed.headers['content-type'];
    if (!documented.content) {
      return observed.body === '' ? [] : [`has a body (${contentType ?? 'no Content-Type'}) where the document says none`];
    }
    const documentedTypes = Object.keys(documented.content);
    if (typeof contentType !== 'string') return [`has no Content-Type (documented: ${documentedTypes.join(', ')})`];
    const mediaType = documentedTypes.find((documentedType) => mediaTypeMatches(documentedType, contentType));
    if (!mediaType) return [`Content-Type ${contentType} is not documented (documented: ${documentedTypes.join(', ')})`];
    let body: unknown = observed.body;
    if (/[/+]json$/.test(mediaType)) {
      try {
        body = JSON.parse(observed.body);
      } catch {
        return [`the ${mediaType} body is not JSON: ${JSON.stringify(observed.body.slice(0, 200))}`];
      }
    }
    const failure = this.check(`${pointer}/content/${escapeSegment(mediaType)}/schema`, body, 'body');
    return failure ? [`the ${mediaType} body does not match the document: ${failure}`] : [];
  }

  /** Follows a local $ref ('#/components/…') to the object it names, with that object's pointer. */
  private resolve<T>(value: T | Reference, pointer: string): { value: T; pointer: string } {
    if (typeof value !== 'object' || value === null || !('$ref' in value) || typeof value.$ref !== 'string') {
      return { value: value as T, pointer };
    }
    const target = value.$ref.slice(1);
    let node: unknown = this.document;
    for (const segment of target.split('/').slice(1)) {
      const key = segment.replace(/~1/g, '/').replace(/~0/g, '~');
      node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined;
    }
    if (node === undefined) throw new Error(`${value.$ref} (at ${pointer}) names nothing in the document`);
    // The document's references name a component of the kind their place expects (checked by the OpenAPI validator).
    return { value: node as T, pointer: target };
  }
}

// ─── The suite's record of every response it received from the app ──────────────────────────────

const contracts = new Map<readonly RouteEntry[], Contract>();
let checked = 0;
const pending: string[] = [];

/**
 * The contract of an app's route table (by default app/routes.ts's ROUTES, which createApp serves unless given others), built
 * once per table and run with the package version.
 */
export function keelContract(routes: readonly RouteEntry[] = ROUTES): Contract {
  let contract = contracts.get(routes);
  if (!contract) {
    contract = new Contract(openApiDocument(readPackageInfo().version, routes));
    contracts.set(routes, contract);
  }
  return contract;
}

/** Checks a response the suite received from the app; violations wait for takeViolations (test/support/hooks.ts). */
export function recordResponse(response: ObservedResponse, routes: readonly RouteEntry[] = ROUTES): void {
  checked += 1;
  // No secret may reach a client, whatever the response (test/support/sentinels.ts).
  scanText(`${JSON.stringify(response.headers)}\n${response.body}`, `the response to ${response.method} ${response.path.slice(0, 80)}`);
  try {
    pending.push(...keelContract(routes).violations(response));
  } catch (error) {
    pending.push(`${response.method} ${response.path} → ${response.status}: the contract check itself failed: ${String(error)}`);
  }
}

/** The violations recorded since the last call. */
export function takeViolations(): string[] {
  return pending.splice(0);
}

/** How many responses have been checked in this run. */
export const responsesChecked = (): number => checked;

function chunkToBuffer(chunk: unknown, encoding: unknown): Buffer | undefined {
  if (typeof chunk === 'string') return Buffer.from(chunk, typeof encoding === 'string' && Buffer.isEncoding(encoding) ? encoding : 'utf8');
  if (chunk instanceof Uint8Array) return Buffer.from(chunk);
  return undefined;
}

/**
 * A request body as it travelled: validation may have parsed values (an ISO date-time to a Date), JSON gives them back.
 * A body too deeply nested for JSON.stringify's stack (hostile input the app refused before any handler) is left out.
 */
function asTravelled(body: unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(body)) as unknown;
  } catch (error) {
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}

/** Keeps a copy of what the app writes and records the response once it is finished. */
const recordEachResponse =
  (routes: readonly RouteEntry[]): RequestHandler =>
  (req, res, next) => {
    const { method, originalUrl } = req;
    const chunks: Buffer[] = [];
    const keep = (args: readonly unknown[]): void => {
      const buffer = chunkToBuffer(args[0], args[1]);
      if (buffer) chunks.push(buffer);
    };
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => typeof res;
    res.write = (...args: unknown[]): boolean => {
      keep(args);
      return write(...args);
    };
    res.end = (...args: unknown[]): typeof res => {
      keep(args);
      return end(...args);
    };
    res.on('finish', () => {
      const { body } = req as { body?: unknown };
      recordResponse(
        {
          method,
          path: originalUrl,
          status: res.statusCode,
          headers: res.getHeaders(),
          body: Buffer.concat(chunks).toString('utf8'),
          ...(body === undefined ? {} : { requestBody: asTravelled(body) }),
        },
        routes,
      );
    });
    next();
  };

/**
 * The app behind a recorder: every response it finishes is checked against the OpenAPI document of
 * the route table it serves (app/routes.ts's ROUTES unless given).
 * An outer Express app mounts the real one unchanged (the recorder only copies what is written).
 */
export function contractChecked(app: Express, routes: readonly RouteEntry[] = ROUTES): Express {
  const outer = express();
  outer.disable('x-powered-by');
  outer.use(recordEachResponse(routes));
  outer.use(app);
  return outer;
}
