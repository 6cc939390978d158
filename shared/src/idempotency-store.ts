import { PocError } from './errors.ts';

/** What a store keeps of a finished request, replayed byte for byte to every retry. */
export interface StoredResponse {
  status: number;
  body: string;
  contentType: string;
}

/** One claimed key. `lockId` proves ownership: a request that lost its lock cannot write. */
export interface KeyRef {
  scope: string;
  key: string;
  lockId: string;
}

export interface BeginInput extends KeyRef {
  fingerprint: string;
  nowMs: number;
  retentionMs: number;
  /** A lock older than this belongs to a request that crashed; a retry may take it over. */
  lockTimeoutMs: number;
}

export type BeginResult =
  /**
   * Run the handler; `recoveryPoint` is 'started' for a new key, else where the last
   * attempt stopped. `generation` names this use of the key (it changes when an expired
   * key is reused), so records made under it never collide with an older use.
   */
  | { outcome: 'started'; resumed: boolean; recoveryPoint: string; generation: string }
  | { outcome: 'replay'; response: StoredResponse }
  | { outcome: 'mismatch' }
  | { outcome: 'in_flight'; lockedForMs: number };

/**
 * Storage behind the plugin. begin() is atomic: of N concurrent callers with one key,
 * exactly one gets 'started'.
 */
export interface IdempotencyStore {
  readonly kind: string;
  begin(input: BeginInput): Promise<BeginResult>;
  /** Store the response and unlock; false if the lock was lost (nothing written). */
  complete(ref: KeyRef, response: StoredResponse): Promise<boolean>;
  /** Unlock without a response, keeping the recovery point: the next retry resumes there. */
  release(ref: KeyRef): Promise<void>;
  /** Move the recovery point (stores without transactions; Postgres uses atomicPhase). */
  setRecoveryPoint(ref: KeyRef, recoveryPoint: string): Promise<boolean>;
}

/** The request no longer owns its key (it was taken over after the lock timeout). */
export class IdempotencyLockLostError extends PocError {
  constructor(ref: KeyRef) {
    super(`lost the lock on idempotency key ${JSON.stringify(ref.key)} (scope ${ref.scope})`, {
      retriable: true,
    });
  }
}

export const isIdempotencyLockLostError = (e: unknown): e is IdempotencyLockLostError =>
  e instanceof IdempotencyLockLostError;
