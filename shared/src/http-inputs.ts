import AjvCompiler from '@fastify/ajv-compiler';
import type { FastifyError, FastifyRequest, FastifySchemaCompiler } from 'fastify';

/** The only body type the shared server parses; anything else is 415. */
export const SUPPORTED_MEDIA_TYPES = ['application/json'] as const;

/**
 * Bodies are JSON a client wrote on purpose: a wrong type is the client's bug, so it is a 400,
 * never coerced (`"100"` is not `100`), and an unknown property is a 400 where the schema
 * says `additionalProperties: false`, never silently dropped. Fastify's defaults are
 * `coerceTypes: 'array'` and `removeAdditional: true` for every part.
 */
export const STRICT_BODY_AJV_OPTIONS = { coerceTypes: false, removeAdditional: false } as const;

/**
 * A JSON Schema `pattern` for text that ends up in a database column or a log line: no
 * control characters (C0, DEL, C1). Postgres rejects NUL in text (`invalid byte sequence
 * for encoding "UTF8": 0x00`), and a 4xx is the honest answer. Pair it with a maxLength.
 * Written with `\u` escapes so JS, Python and other regex engines read it alike.
 */
export const NO_CONTROL_CHARACTERS = '^[^\\u0000-\\u001F\\u007F-\\u009F]*$';

/** What a well-known pattern means, for the 400 message instead of the regex. */
const PATTERN_MEANINGS = new Map<string, string>([
  [NO_CONTROL_CHARACTERS, 'must not contain control characters (U+0000-U+001F, U+007F-U+009F)'],
]);

/** Fastify calls a validator with the route and the part it checks, not with a bare schema. */
type RouteValidatorCompiler = FastifySchemaCompiler<unknown>;

/**
 * Fastify's `schemaController.compilersFactory.buildValidator`: Fastify's own Ajv compiler,
 * twice. Bodies get the strict options; path params, querystring and headers arrive as text
 * and keep Fastify's coercion (`/products/42` is the integer 42). Both see the shared
 * schemas (`app.addSchema`), and the pool reuses one Ajv per option set across instances.
 */
export function createValidatorFactory(): AjvCompiler.BuildCompilerFromPool {
  const pool = AjvCompiler();
  return (externalSchemas, options = {}) => {
    if (options.mode === 'JTD') return pool(externalSchemas, options);
    // @fastify/ajv-compiler's types describe its result as Ajv's compile(schema); Fastify
    // calls it with the route definition ({ schema, httpPart, … }), as typed here.
    const lenient = pool(externalSchemas, options) as unknown as RouteValidatorCompiler;
    const strict = pool(externalSchemas, {
      ...options,
      customOptions: { ...options.customOptions, ...STRICT_BODY_AJV_OPTIONS },
    }) as unknown as RouteValidatorCompiler;
    const compile: RouteValidatorCompiler = (route) =>
      route.httpPart === 'body' ? strict(route) : lenient(route);
    return compile as unknown as ReturnType<AjvCompiler.BuildCompilerFromPool>;
  };
}

interface AjvError {
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/**
 * Fastify's default message (`body/amountCents must be integer`), plus the name of the
 * property an `additionalProperties: false` rejected, which Ajv keeps out of its message,
 * and the meaning of a well-known pattern instead of the regex.
 */
export function formatSchemaErrors(errors: readonly AjvError[], dataVar: string): Error {
  const parts = errors.map((e) => {
    const where = `${dataVar}${e.instancePath ?? ''}`;
    const extra = e.params?.additionalProperty;
    if (typeof extra === 'string') return `${where} must NOT have additional property '${extra}'`;
    const meaning = PATTERN_MEANINGS.get(String(e.params?.pattern));
    return `${where} ${meaning ?? e.message ?? 'is invalid'}`;
  });
  return new Error(parts.join(', '));
}

export interface InputProblem {
  status: number;
  title: string;
  code: string;
}

/**
 * What a body that never reached validation gets: Fastify's content-type parser errors,
 * turned into a 4xx whose title says what to send instead. Undefined for any other error.
 */
export function inputProblem(
  error: FastifyError,
  request: FastifyRequest,
): InputProblem | undefined {
  const supported = SUPPORTED_MEDIA_TYPES.join(', ');
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': {
      const sent = request.headers['content-type'];
      return {
        status: 415,
        title: sent
          ? `unsupported content-type '${sent}': send ${supported}`
          : `a body needs a content-type: send ${supported}`,
        code: 'unsupported_media_type',
      };
    }
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return {
        status: 400,
        title: 'the body is empty but content-type is application/json: send a JSON document',
        code: 'invalid_json',
      };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      // Also what a `__proto__` or `constructor.prototype` key gets (prototype poisoning).
      return {
        status: 400,
        title: 'the body is not valid JSON (or has a __proto__ or constructor.prototype key)',
        code: 'invalid_json',
      };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        status: 413,
        title: `the body is larger than the ${request.routeOptions.bodyLimit ?? 'configured'} byte limit`,
        code: 'body_too_large',
      };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return {
        status: 400,
        title: 'the body size does not match content-length',
        code: 'invalid_content_length',
      };
    default:
      return undefined;
  }
}
