import { createHash } from 'node:crypto';

/** Longest key accepted, as Stripe documents it. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

export type KeyCheck = { ok: true; key: string } | { ok: false; problem: string };

/**
 * Validate the raw Idempotency-Key header values (Node's rawHeaders, so a repeated
 * header is seen as two values, not one joined string). The IETF draft sends the key
 * as a structured-field string ("..."); bare keys (Stripe's style) are accepted too.
 */
export function checkIdempotencyKey(values: readonly string[], headerName: string): KeyCheck {
  if (values.length === 0) {
    return { ok: false, problem: `missing ${headerName} header: send a unique key per operation` };
  }
  if (values.length > 1) {
    return {
      ok: false,
      problem: `${headerName} sent ${values.length} times: send it exactly once`,
    };
  }
  let key = values[0]!.trim();
  if (key.length >= 2 && key.startsWith('"') && key.endsWith('"')) key = key.slice(1, -1);
  if (key.length === 0) {
    return { ok: false, problem: `empty ${headerName} header: send a non-empty key` };
  }
  if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    return {
      ok: false,
      problem: `${headerName} is ${key.length} characters long: send at most ${MAX_IDEMPOTENCY_KEY_LENGTH}`,
    };
  }
  if (!/^[\x21-\x7e]+$/.test(key)) {
    return {
      ok: false,
      problem: `${headerName} may only hold visible ASCII characters (no spaces or control characters)`,
    };
  }
  return { ok: true, key };
}

/** JSON with object keys sorted, so {a,b} and {b,a} fingerprint the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/**
 * The request fingerprint: method, route and canonical body. The same key with a
 * different fingerprint is a client bug (a reused key) and answers 422.
 */
export function requestFingerprint(method: string, route: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method} ${route}\n${canonicalJson(body ?? null)}`)
    .digest('base64url');
}
