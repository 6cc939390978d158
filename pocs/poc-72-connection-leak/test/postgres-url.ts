import { serviceDefaults } from '@pocs/shared/config';

/** The real Postgres started by `pnpm services up postgres` (or POSTGRES_URL). */
export const postgresUrl = process.env.POSTGRES_URL ?? serviceDefaults.POSTGRES_URL;
