/**
 * Request validation. Bodies are validated strictly: no type coercion ("60" is not a number of minutes) and
 * no silent removal of unknown fields (they are refused). Query strings, path parameters and headers arrive
 * as text, so there numbers and booleans are coerced.
 */
import Ajv, { type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance, FastifySchemaCompiler } from 'fastify';
import { unprocessable, unsupportedMediaType } from '../errors.js';

const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function createAjv(coerceTypes: boolean) {
  const ajv = new Ajv.default({
    coerceTypes,
    useDefaults: true,
    removeAdditional: false,
    allErrors: false,
    strict: false,
  });
  addFormats.default(ajv);
  // ajv-formats' uuid also accepts a `urn:uuid:` prefix, which PostgreSQL's uuid type refuses (a 500 where
  // a 422 belongs). Only the form the service hands out (any letter case) is an id.
  ajv.addFormat('uuid', CANONICAL_UUID);
  return ajv;
}

/** What no stored text may contain, and the 422's words for it. */
const UNSTORABLE: readonly { pattern: RegExp; problem: string }[] = [
  { pattern: /\u0000/, problem: 'must not contain NUL characters' },
  // A lone UTF-16 surrogate (JSON allows "\ud800") is no character at all: it has no UTF-8 form, PostgreSQL's
  // jsonb refuses its escape (the insert fails: a 500) and text columns would store a replacement character.
  { pattern: /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/, problem: 'must be valid Unicode text (it contains an unpaired surrogate)' },
];

/**
 * Where in a parsed JSON body a text (or a key) holds what no database can store faithfully — a NUL
 * character or an unpaired surrogate — as the field path and the problem the 422 names; null when there is
 * none. PostgreSQL refuses them (the insert fails: a 500) and SQLite would keep or alter them silently, so no
 * body containing one is accepted, whatever the endpoint.
 *
 * A loop, not recursion: a body can nest arrays thousands of levels deep, which would overflow the stack.
 */
export function findUnstorableText(body: unknown): { field: string; problem: string } | null {
  interface Node {
    value: unknown;
    key: string | null;
    parent: Node | null;
  }
  const pathOf = (node: Node | null): string => {
    const keys: string[] = [];
    for (let n = node; n !== null && n.key !== null; n = n.parent) keys.push(n.key);
    return keys.reverse().join('.') || 'body';
  };
  const problemOf = (text: string) => UNSTORABLE.find(({ pattern }) => pattern.test(text))?.problem;
  const pending: Node[] = [{ value: body, key: null, parent: null }];
  while (pending.length > 0) {
    const node = pending.pop()!;
    if (typeof node.value === 'string') {
      const problem = problemOf(node.value);
      if (problem) return { field: pathOf(node), problem };
    } else if (typeof node.value === 'object' && node.value !== null) {
      for (const [key, value] of Object.entries(node.value)) {
        const problem = problemOf(key);
        if (problem) return { field: pathOf(node), problem };
        pending.push({ value, key, parent: node });
      }
    }
  }
  return null;
}

/** `name=value&name=value`: a form-encoded body (names and values without JSON's braces, brackets or quotes). */
const FORM_ENCODED = /^[^&=\s{}[\]"]+=[^&\s{}[\]"]*(?:&[^&=\s{}[\]"]+=[^&\s{}[\]"]*)*$/;
const FORM_ENCODED_MESSAGE =
  'The body is form-encoded (name=value&...); send it as JSON, e.g. {"name": "value"}, with Content-Type: application/json';

/** The whole app's body limit; the routes below take less. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

/**
 * Body limits by path prefix. Sign-in and account bodies are a few fields (an identity token from Apple or
 * Google is the largest, about 1-2 KB); feedback is a text of at most 5000 characters, the app's
 * diagnostics (a few KB in practice) and a client state of at most 32 KB.
 */
export const ROUTE_BODY_LIMITS: readonly { prefix: string; bytes: number }[] = [
  { prefix: '/auth/', bytes: 8 * 1024 },
  { prefix: '/verification/', bytes: 8 * 1024 },
  { prefix: '/feedback', bytes: 64 * 1024 },
];

/** `8 KB`, `1 MB`: a body limit as the 413 names it. */
export function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round(bytes / (1024 * 1024))} MB` : `${Math.round(bytes / 1024)} KB`;
}

export function installValidation(app: FastifyInstance): void {
  // Many HTTP clients send `Content-Type: application/json` on every request, including a DELETE without
  // a body; Fastify's parser refuses such an empty body (400), which would make e.g. deleting an account
  // fail from such an app. An empty JSON body is no body; everything else goes to Fastify's own parser
  // (with its prototype-poisoning protection). A route that needs a body still answers 422.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') return done(null, undefined);
    // `curl -H 'Content-Type: application/json' -d email=...` and some form libraries send a form body
    // under the JSON type; "Malformed JSON" would not tell them what is wrong.
    if (FORM_ENCODED.test(body as string)) return done(unsupportedMediaType(FORM_ENCODED_MESSAGE), undefined);
    parseJson(request, body as string, done);
  });
  // Smaller bodies where a route needs only a few fields, so that a large or deeply nested body is refused
  // from its Content-Length (or while it streams in), before anything parses it.
  app.addHook('onRoute', (route) => {
    if (route.bodyLimit !== undefined) return;
    const limit = ROUTE_BODY_LIMITS.find(({ prefix }) => route.url.startsWith(prefix));
    if (limit) route.bodyLimit = limit.bytes;
  });
  // After the schema: a body the schema refuses (an unknown field, a wrong type) is never walked, so only
  // the free-form parts a route accepts (bounded by its body limit) cost a scan. Query strings and path
  // parameters reach the database too (`?specialty=%00` was a 500 on PostgreSQL).
  app.addHook('preHandler', async (request) => {
    for (const part of [request.body, request.query, request.params]) {
      const found = findUnstorableText(part);
      if (found !== null) throw unprocessable(`${found.field}: ${found.problem}`);
    }
  });
  const strict = createAjv(false);
  const coercing = createAjv(true);
  const compiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
    (httpPart === 'body' ? strict : coercing).compile(schema as object);
  app.setValidatorCompiler(compiler);
  app.setSchemaErrorFormatter((errors, dataVar) => {
    const error = new Error(describeValidationError(errors as ErrorObject[], dataVar)) as Error & {
      statusCode: number;
    };
    error.statusCode = 422;
    return error;
  });
}

const PART_NAMES: Record<string, string> = {
  body: 'body',
  querystring: 'query parameter',
  params: 'path parameter',
  headers: 'header',
};

/** One sentence naming the offending field, e.g. `planned_minutes: must be an integer`. */
export function describeValidationError(errors: ErrorObject[], part: string): string {
  const error = errors[0];
  if (!error) return `Invalid ${PART_NAMES[part] ?? part}`;
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return `${[...path, String(params.missingProperty)].join('.')}: field required`;
    case 'additionalProperties':
      return `${[...path, String(params.additionalProperty)].join('.')}: unknown field`;
  }
  const field = path.length > 0 ? path.join('.') : (PART_NAMES[part] ?? part);
  return `${field}: ${humanMessage(error)}`;
}

function humanMessage(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'type':
      return `must be ${params.type === 'integer' ? 'an integer' : `of type ${String(params.type)}`}`;
    case 'format':
      return `must be a valid ${String(params.format)}`;
    case 'minProperties':
      return params.limit === 1 ? 'must contain at least one field' : `must contain at least ${String(params.limit)} fields`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
    case 'minLength':
    case 'maxLength':
    case 'pattern':
    case 'enum':
    case 'maxProperties':
    default:
      return error.message ?? 'is invalid';
  }
}
