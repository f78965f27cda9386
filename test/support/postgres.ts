/**
 * PostgreSQL for tests: `SEQUENCER_TEST_DATABASE_URL` (provided by `npm test` through scripts/test.sh) names a server;
 * each suite gets a fresh, uniquely named database on it. Without the variable a PostgreSQL suite fails with a clear
 * message instead of being skipped.
 */
import { randomBytes } from "node:crypto";

import { Client } from "pg";

/** The test server's URL. @throws Error when `SEQUENCER_TEST_DATABASE_URL` is unset. */
export function testDatabaseUrl(): string {
  const url = process.env.SEQUENCER_TEST_DATABASE_URL;
  if (url === undefined || url === "") {
    throw new Error(
      "PostgreSQL tests need a server: run `npm test` (it starts one) or set SEQUENCER_TEST_DATABASE_URL",
    );
  }
  return url;
}

/** Creates a fresh database on the test server and returns its URL and a function that drops it. */
export async function freshDatabase(prefix = "ves_test"): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = new URL(testDatabaseUrl());
  const name = `${prefix}_${randomBytes(6).toString("hex")}`;
  const admin = new Client({ connectionString: base.toString() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(base.toString());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new Client({ connectionString: base.toString() });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
