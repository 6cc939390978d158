import type { InstrumentedPool } from '@pocs/shared/pool';

export interface LedgerReport {
  /** Rows in the provider's ledger: money actually taken. */
  providerCharges: number;
  /** Orders the provider charged at least once. */
  ordersCharged: number;
  /** Charges beyond the first for the same order: customers charged twice. */
  doubleCharges: number;
  /** Payments the API recorded as succeeded. */
  apiSucceeded: number;
  /** Provider charges the API's ledger does not know about (money taken, no record). */
  unrecordedCharges: number;
  /** Succeeded payments whose charge is missing at the provider. */
  phantomPayments: number;
  /** Both ledgers agree charge for charge. */
  reconciled: boolean;
}

/**
 * Compare the two ledgers, as a nightly reconciliation job would (here both live in
 * the same Postgres, so one query per side is enough).
 */
export async function reconcileLedgers(
  pool: InstrumentedPool,
  { apiSchema, providerSchema }: { apiSchema: string; providerSchema: string },
): Promise<LedgerReport> {
  const { rows } = await pool.query<Record<string, string>>(
    `WITH charges AS (SELECT id, reference FROM ${providerSchema}.charges),
          paid AS (SELECT provider_charge_id FROM ${apiSchema}.payments WHERE status = 'succeeded')
     SELECT
       (SELECT count(*) FROM charges) AS provider_charges,
       (SELECT count(DISTINCT reference) FROM charges) AS orders_charged,
       (SELECT count(*) FROM paid) AS api_succeeded,
       (SELECT count(*) FROM charges c WHERE NOT EXISTS
          (SELECT 1 FROM paid p WHERE p.provider_charge_id = 'ch_' || c.id)) AS unrecorded,
       (SELECT count(*) FROM paid p WHERE NOT EXISTS
          (SELECT 1 FROM charges c WHERE p.provider_charge_id = 'ch_' || c.id)) AS phantom`,
  );
  const r = rows[0]!;
  const providerCharges = Number(r.provider_charges);
  const ordersCharged = Number(r.orders_charged);
  const report = {
    providerCharges,
    ordersCharged,
    doubleCharges: providerCharges - ordersCharged,
    apiSucceeded: Number(r.api_succeeded),
    unrecordedCharges: Number(r.unrecorded),
    phantomPayments: Number(r.phantom),
  };
  return {
    ...report,
    reconciled:
      report.unrecordedCharges === 0 &&
      report.phantomPayments === 0 &&
      report.apiSucceeded === providerCharges,
  };
}
