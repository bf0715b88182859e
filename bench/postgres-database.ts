import pg from "pg";

/**
 * A database of its own for one run on the PostgreSQL server `url` points at
 * (any database there the user may connect to), dropped afterwards.
 */
export async function createBenchDatabase(url: string): Promise<{ url: string; version: string; analyze(): Promise<void>; drop(): Promise<void> }> {
  const name = `flyteadmin_bench_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  let version: string;
  try {
    await admin.query(`create database ${name}`);
    version = ((await admin.query("show server_version")).rows[0] as { server_version: string }).server_version;
  } finally {
    await admin.end();
  }
  const own = new URL(url);
  own.pathname = `/${name}`;
  return {
    url: own.toString(),
    version,
    // A bulk load leaves the planner's statistics empty until autovacuum gets to the
    // tables; without them it sorts every matching row instead of reading the index
    // in order. A server with history has its statistics, so the run refreshes them.
    analyze: async () => {
      const c = new pg.Client({ connectionString: own.toString() });
      await c.connect();
      try {
        await c.query("analyze");
      } finally {
        await c.end();
      }
    },
    drop: async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}
