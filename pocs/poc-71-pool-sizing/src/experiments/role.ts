import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface LimitedRole {
  name: string;
  connectionLimit: number;
  /** postgresUrl with this role's user and password. */
  url: string;
  /** Backends Postgres has open for this role right now. */
  countBackends: () => Promise<number>;
}

/**
 * Run fn with a login role of its own whose CONNECTION LIMIT stands in for the database's
 * max_connections: the same refusal, without touching a server setting other people's
 * connections depend on. The role may only read the catalogue. It is dropped afterwards,
 * with any session still open, also when fn throws.
 */
export async function withLimitedRole<T>(
  {
    adminUrl,
    name,
    connectionLimit,
    tables,
  }: { adminUrl: string; name: string; connectionLimit: number; tables: readonly string[] },
  fn: (role: LimitedRole) => Promise<T>,
): Promise<T> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`role name must be [a-z0-9_]: "${name}"`);
  const password = randomBytes(12).toString('hex');
  const admin = new pg.Client({ connectionString: adminUrl, application_name: 'poc-71-admin' });
  admin.on('error', () => {}); // a dropped admin connection surfaces on its next query
  await admin.connect();
  const drop = async () => {
    await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where usename = $1', [
      name,
    ]);
    const { rows } = await admin.query('select 1 from pg_roles where rolname = $1', [name]);
    if (rows.length) await admin.query(`drop owned by ${name}; drop role ${name}`);
  };
  try {
    await drop(); // left over by a run that was killed
    await admin.query(
      `create role ${name} login password '${password}' connection limit ${Math.trunc(connectionLimit)}`,
    );
    await admin.query(`grant select on ${tables.join(', ')} to ${name}`);
    const url = new URL(adminUrl);
    url.username = name;
    url.password = password;
    return await fn({
      name,
      connectionLimit,
      url: url.toString(),
      countBackends: async () => {
        const { rows } = await admin.query<{ n: number }>(
          'select count(*)::int as n from pg_stat_activity where usename = $1',
          [name],
        );
        return rows[0]?.n ?? 0;
      },
    });
  } finally {
    await drop();
    await admin.end();
  }
}
