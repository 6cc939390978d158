import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { checkIdempotencyKey, requestFingerprint } from './idempotency-fingerprint.ts';
import type { IdempotencyStore, KeyRef } from './idempotency-store.ts';
import { sendProblem } from './server.ts';

export {
  canonicalJson,
  checkIdempotencyKey,
  requestFingerprint,
} from './idempotency-fingerprint.ts';
export {
  type BeginInput,
  type BeginResult,
  IdempotencyLockLostError,
  type IdempotencyStore,
  isIdempotencyLockLostError,
  type KeyRef,
  type StoredResponse,
} from './idempotency-store.ts';

/** How a route opts in: `config: { idempotency: 'required' }`. */
export type IdempotencyMode = 'required' | 'optional';

/** What a handler sees on `request.idempotency` when its request holds a key. */
export interface IdempotencyContext extends KeyRef {
  /** 'started' for a new key; otherwise the recovery point a crashed or failed attempt reached. */
  recoveryPoint: string;
  resumed: boolean;
  /** Names this use of the key; record it with your side effects instead of the key itself. */
  generation: string;
  /**
   * Don't store this response: unlock the key at its recovery point so the client's
   * retry (same key) resumes there. For transient failures of a foreign call, answered 503.
   */
  releaseOnResponse: () => void;
}

export type IdempotencyOutcome =
  | 'started'
  | 'resumed'
  | 'replayed'
  | 'mismatch'
  | 'in_flight'
  | 'rejected'
  | 'stored'
  | 'released'
  | 'lock_lost';

export interface IdempotencyOptions {
  store: IdempotencyStore;
  /** The client a key belongs to (tenant, API key). Keys never match across scopes. */
  scope?: (request: FastifyRequest) => string;
  /** How long a key and its response are kept; after that the key is new again. Default 24 h. */
  retentionMs?: number;
  /** A lock older than this is from a crashed request; a retry takes over. Default 60 s. */
  lockTimeoutMs?: number;
  /** Injected clock (ms), so tests can move past the retention period. */
  now?: () => number;
  headerName?: string;
  /** One call per decision, for metrics; must not throw. */
  onOutcome?: (outcome: IdempotencyOutcome, request: FastifyRequest) => void;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    idempotency?: IdempotencyMode;
  }
  interface FastifyRequest {
    idempotency: IdempotencyContext | null;
  }
}

export const DEFAULT_RETENTION_MS = 24 * 60 * 60 * 1000;
export const REPLAYED_HEADER = 'idempotent-replayed';

interface Claim {
  context: IdempotencyContext;
  release: boolean;
}

const claims = new WeakMap<FastifyRequest, Claim>();

function headerValues(request: FastifyRequest, name: string): string[] {
  const raw = request.raw.rawHeaders;
  const values: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() === name) values.push(raw[i + 1]!);
  }
  return values;
}

const plugin: FastifyPluginAsync<IdempotencyOptions> = async (app: FastifyInstance, options) => {
  const {
    store,
    scope = () => 'default',
    retentionMs = DEFAULT_RETENTION_MS,
    lockTimeoutMs = 60_000,
    now = Date.now,
    headerName = 'idempotency-key',
    onOutcome = () => undefined,
  } = options;
  const header = headerName.toLowerCase();

  app.decorateRequest('idempotency', null);

  // preHandler runs after schema validation: a request that fails validation never
  // touches the store, so the corrected retry with the same key proceeds.
  app.addHook('preHandler', async (request, reply) => {
    const mode = request.routeOptions.config.idempotency;
    if (!mode) return;
    const values = headerValues(request, header);
    if (values.length === 0 && mode === 'optional') return;
    const checked = checkIdempotencyKey(values, headerName);
    if (!checked.ok) {
      onOutcome('rejected', request);
      return sendProblem(reply, 400, checked.problem, { code: 'invalid_idempotency_key' });
    }
    const ref: KeyRef = { scope: scope(request), key: checked.key, lockId: randomUUID() };
    const result = await store.begin({
      ...ref,
      fingerprint: requestFingerprint(
        request.method,
        request.routeOptions.url ?? request.url,
        request.body,
      ),
      nowMs: now(),
      retentionMs,
      lockTimeoutMs,
    });
    switch (result.outcome) {
      case 'replay':
        onOutcome('replayed', request);
        return reply
          .code(result.response.status)
          .header(REPLAYED_HEADER, 'true')
          .type(result.response.contentType)
          .send(result.response.body);
      case 'mismatch':
        onOutcome('mismatch', request);
        return sendProblem(
          reply,
          422,
          `${headerName} was already used with a different request body: use a new key for a new operation`,
          { code: 'idempotency_key_reused' },
        );
      case 'in_flight':
        onOutcome('in_flight', request);
        return sendProblem(
          reply.header('retry-after', '1'),
          409,
          `a request with this ${headerName} is still in progress: retry later with the same key`,
          { code: 'idempotency_key_in_use' },
        );
      case 'started': {
        onOutcome(result.resumed ? 'resumed' : 'started', request);
        const claim: Claim = {
          release: false,
          context: {
            ...ref,
            recoveryPoint: result.recoveryPoint,
            resumed: result.resumed,
            generation: result.generation,
            releaseOnResponse: () => {
              claim.release = true;
            },
          },
        };
        claims.set(request, claim);
        request.idempotency = claim.context;
      }
    }
  });

  // Store the response before it leaves: a client never sees an answer that a retry
  // could not replay. Success and failure (4xx, 5xx) alike, unless the handler released.
  app.addHook('onSend', async (request, reply, payload) => {
    const claim = claims.get(request);
    if (!claim) return payload;
    claims.delete(request);
    if (claim.release || (typeof payload !== 'string' && !Buffer.isBuffer(payload))) {
      await store.release(claim.context);
      onOutcome('released', request);
      return payload;
    }
    const stored = await store.complete(claim.context, {
      status: reply.statusCode,
      body: typeof payload === 'string' ? payload : payload.toString('utf8'),
      contentType: String(reply.getHeader('content-type') ?? 'application/json; charset=utf-8'),
    });
    onOutcome(stored ? 'stored' : 'lock_lost', request);
    return payload;
  });
};

// What fastify-plugin does: the hooks apply to the routes of the app that registers it.
(plugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;

/**
 * The Idempotency-Key header (IETF httpapi draft, Stripe's API) as a Fastify plugin:
 * `app.register(idempotency, { store, scope })`, then a route opts in with
 * `config: { idempotency: 'required' }`. Missing/empty/oversized/repeated key → 400;
 * the first request runs and its response is stored; retries replay it (header
 * `idempotent-replayed: true`); another body with the same key → 422; a retry while the
 * first is in flight → 409.
 */
export const idempotency = plugin;
