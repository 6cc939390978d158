import { serviceDefaults } from '../src/config.ts';

/** Tests talk to the real Postgres that `pnpm services up postgres` started. */
export const postgresUrl = process.env.POSTGRES_URL ?? serviceDefaults.POSTGRES_URL;
