import pg from 'pg';
import { postgresUrl } from './postgres-url.ts';

/** A schema name no other test run uses, so runs never see each other's orders. */
export const uniqueSchema = (label: string) =>
  `poc72_t_${label}_${process.pid}_${Date.now().toString(36)}`;

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}
