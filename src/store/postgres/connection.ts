import pg from "pg";
import { StoreError, TandemError } from "../../core/errors.js";
import { maskSecrets, maskUrl } from "./url.js";

/** What a query runs on: the pool (one statement, autocommit) or a client inside a transaction. */
export interface Sql {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>>;
}

export interface PostgresConnectionOptions {
  /** Every transaction read-only (`default_transaction_read_only`): writes fail with TANDEM_ERR_STORE_READONLY. */
  readonly?: boolean;
  /** Connections kept open at most. Default 10. */
  maxConnections?: number;
}

/** SQLSTATEs after which the whole transaction is run again (bounded): PostgreSQL chose it as a victim. */
const RETRIED = new Set(["40001", "40P01"]);
const MAX_ATTEMPTS = 3;

/**
 * Advisory locks (per database) that serialize what must happen one at a time across every process
 * sharing the database. Taken with pg_advisory_xact_lock, so they are released at commit or rollback.
 */
export const LOCKS = {
  /** Migrations: concurrent starts do not both migrate. */
  migrate: 1,
  /** Event appends: seqs become visible in order, so a reader tailing `afterSeq` misses none. */
  events: 2,
  /** Audit appends: one chain however many writers (always taken after `events`). */
  audit: 3,
  /** Outbox claims and digest groups: two dispatchers never fix or claim one group twice. */
  outbox: 4,
} as const;
const LOCK_NAMESPACE = 0x54_41_4e_44; // "TAND"

/** int8 (bigint: timestamps, seqs, counts) as a JS number; every value Tandem stores fits in 2^53. */
const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8_OID && format !== "binary"
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format ?? "text")) as pg.CustomTypesConfig["getTypeParser"],
};

/**
 * A pool of connections to one PostgreSQL database. Writes run in `transaction` (READ COMMITTED, the
 * default; every compare-and-swap is a conditional UPDATE, and what must be serialized takes one of
 * LOCKS). The URL is never shown: `where` is the URL with its password masked.
 */
export class PostgresConnection {
  readonly pool: pg.Pool;
  /** The URL with the password masked: what errors name. */
  readonly where: string;
  private lastPoolError: string | undefined;

  constructor(
    private readonly url: string,
    readonly options: PostgresConnectionOptions = {},
  ) {
    this.where = maskUrl(url);
    this.pool = new pg.Pool({
      connectionString: url,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: 10_000,
      idleTimeoutMillis: 30_000,
      application_name: "tandem",
      types,
      ...(options.readonly ? { options: "-c default_transaction_read_only=on" } : {}),
    });
    // An idle connection that breaks (server restart) is dropped by the pool; without a listener the
    // error would end the process. The next query opens a new connection.
    this.pool.on("error", (error) => {
      this.lastPoolError = this.mask(error.message);
    });
  }

  get readonly(): boolean {
    return this.options.readonly === true;
  }

  /** One statement on any pooled connection. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>> {
    return this.pool.query<R>(text, values);
  }

  /**
   * Runs `work` in one transaction on one connection: committed when it resolves, rolled back when it
   * throws. A deadlock or serialization failure reruns it (up to 3 attempts): `work` must only touch
   * the database.
   */
  async transaction<T>(work: (client: Sql) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      let broken = false;
      try {
        await client.query("BEGIN");
        const result = await work(client);
        await client.query("COMMIT");
        return result;
      } catch (error) {
        try {
          await client.query("ROLLBACK");
        } catch {
          broken = true;
        }
        const code = sqlState(error);
        if (attempt < MAX_ATTEMPTS && code !== undefined && RETRIED.has(code)) continue;
        throw error;
      } finally {
        client.release(broken);
      }
    }
  }

  /**
   * Runs reads in one REPEATABLE READ, READ ONLY transaction: they all see the same committed state (a
   * release row and its rollout rows of one revision, never a writer's half).
   */
  async snapshot<T>(work: (client: Sql) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      const result = await work(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {
        broken = true;
      });
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /** `text` with the URL and its password masked. */
  mask(text: string): string {
    return maskSecrets(text, this.url);
  }

  /** Runs a store operation; driver errors become TandemErrors naming the masked URL, never the password. */
  async guard<T>(operation: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw this.translate(operation, error);
    }
  }

  translate(operation: string, error: unknown): TandemError {
    if (error instanceof TandemError) return error;
    const code = sqlState(error);
    const message = this.mask(error instanceof Error ? error.message : String(error));
    const detail = `store ${this.where}: ${operation} failed${code ? ` (SQLSTATE ${code})` : ""}: ${message}`;
    if (code === "25006") {
      return new TandemError("TANDEM_ERR_STORE_READONLY", detail, {
        hint: "the store was opened read-only (or the server is a read-only standby)",
      });
    }
    if (code === "53100") {
      return new TandemError("TANDEM_ERR_STORE_FULL", detail, {
        hint: "the PostgreSQL server's disk is full: free space there, then retry",
      });
    }
    return new StoreError(detail, { hint: hintFor(code, error, this.lastPoolError) });
  }
}

function hintFor(
  code: string | undefined,
  error: unknown,
  poolError: string | undefined,
): string | undefined {
  const errno = String((error as { code?: unknown }).code ?? "");
  if (code === "28P01" || code === "28000") return "check the user and password of the store's url";
  if (code === "3D000") return "create the database first (`createdb`), or fix the url's database name";
  if (
    code?.startsWith("08") ||
    code === "57P01" ||
    /^(ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET)$/.test(errno)
  ) {
    return `is PostgreSQL running and reachable at the store's url?${poolError ? ` (last connection error: ${poolError})` : ""}`;
  }
  if (code === "40001" || code === "40P01") return "another writer held the same rows; retry";
  return undefined;
}

/** The SQLSTATE of a PostgreSQL error (five characters), if it is one. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^([0-9]{2}|F0|HV|P0|XX)[0-9A-Z]{3}$/.test(code) ? code : undefined;
}

/** Takes one of LOCKS until the transaction ends. */
export async function lock(sql: Sql, which: keyof typeof LOCKS): Promise<void> {
  await sql.query("SELECT pg_advisory_xact_lock($1, $2)", [LOCK_NAMESPACE, LOCKS[which]]);
}
