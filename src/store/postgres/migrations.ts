import { StoreError } from "../../core/errors.js";
import type { Migration } from "../migrations.js";
import { lock, type PostgresConnection } from "./connection.js";

/**
 * The PostgreSQL schema. Version 1 is the SQLite schema as of its migration 7 (rollout rows), in
 * PostgreSQL's types: integers are bigint (milliseconds, seqs), JSON is text checked as `json` (kept
 * byte for byte, as SQLite keeps it), and `ord` (bigserial) is the insertion order SQLite's rowid gives.
 * Append-only tables refuse UPDATE, DELETE and TRUNCATE by trigger.
 */
const initialSchema = `
CREATE FUNCTION tandem_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP;
END $$;

CREATE TABLE releases (
  id          text PRIMARY KEY,
  ord         bigserial NOT NULL UNIQUE,
  project     text NOT NULL,
  environment text NOT NULL,
  status      text NOT NULL,
  revision    bigint NOT NULL,
  created_at  bigint NOT NULL,
  updated_at  bigint NOT NULL,
  state       text NOT NULL CHECK (state::json IS NOT NULL)
);
CREATE INDEX releases_newest ON releases (project, created_at DESC, ord DESC);
CREATE INDEX releases_by_environment ON releases (project, environment, created_at DESC, ord DESC);
CREATE INDEX releases_by_status ON releases (project, status);

CREATE TABLE release_services (
  release_id text PRIMARY KEY REFERENCES releases (id) ON DELETE CASCADE,
  services   text NOT NULL CHECK (services::json IS NOT NULL)
);

CREATE TABLE rollouts (
  release_id     text NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
  service        text NOT NULL,
  position       integer NOT NULL,
  version        text NOT NULL,
  stable_version text,
  status         text NOT NULL,
  state          text NOT NULL CHECK (state::json IS NOT NULL),
  PRIMARY KEY (release_id, service)
);
CREATE INDEX rollouts_by_service ON rollouts (service, release_id);
CREATE INDEX rollouts_in_order ON rollouts (release_id, position);

CREATE TABLE events (
  seq         bigserial PRIMARY KEY,
  at          bigint NOT NULL,
  release_id  text NOT NULL,
  project     text NOT NULL,
  environment text NOT NULL,
  service     text,
  type        text NOT NULL,
  severity    text NOT NULL,
  message     text NOT NULL,
  data        text CHECK (data IS NULL OR data::json IS NOT NULL)
);
CREATE INDEX events_by_release ON events (release_id, seq);
CREATE INDEX events_by_project ON events (project, seq);
CREATE TRIGGER events_are_append_only BEFORE UPDATE OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION tandem_append_only();
CREATE TRIGGER events_are_not_truncated BEFORE TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION tandem_append_only();

CREATE TABLE commands (
  id          text PRIMARY KEY,
  ord         bigserial NOT NULL UNIQUE,
  release_id  text NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
  service     text,
  type        text NOT NULL,
  actor       text NOT NULL,
  reason      text,
  created_at  bigint NOT NULL,
  consumed_at bigint,
  token_id    text,
  token_name  text
);
CREATE INDEX commands_pending ON commands (release_id, created_at, ord) WHERE consumed_at IS NULL;

CREATE TABLE registry (
  id          bigserial PRIMARY KEY,
  project     text NOT NULL,
  environment text NOT NULL,
  service     text NOT NULL,
  version     text NOT NULL,
  release_id  text NOT NULL,
  at          bigint NOT NULL
);
CREATE INDEX registry_by_service ON registry (project, environment, service, at, id);

CREATE TABLE instances (
  id          text PRIMARY KEY,
  project     text NOT NULL,
  environment text NOT NULL,
  service     text NOT NULL,
  version     text NOT NULL,
  host        text NOT NULL,
  port        integer NOT NULL,
  pid         integer,
  started_at  bigint NOT NULL,
  log_file    text NOT NULL
);
CREATE INDEX instances_by_service ON instances (project, environment, service, version);

CREATE TABLE routers (
  project     text NOT NULL,
  environment text NOT NULL,
  service     text NOT NULL,
  pid         integer NOT NULL,
  listen_host text NOT NULL,
  listen_port integer NOT NULL,
  admin_port  integer NOT NULL,
  token       text NOT NULL,
  started_at  bigint NOT NULL,
  PRIMARY KEY (project, environment, service)
);

-- epoch: drawn from lease_epochs each time the holder changes (kept on renewal), so it only grows,
-- even across a release and a new acquisition: the fencing token of the holder.
CREATE SEQUENCE lease_epochs;
CREATE TABLE leases (
  name       text PRIMARY KEY,
  holder     text NOT NULL,
  expires_at bigint NOT NULL,
  epoch      bigint NOT NULL
);

CREATE TABLE versions (
  project      text NOT NULL,
  service      text NOT NULL,
  version      text NOT NULL,
  ord          bigserial NOT NULL UNIQUE,
  provides     text NOT NULL CHECK (provides::json IS NOT NULL),
  requires     text NOT NULL CHECK (requires::json IS NOT NULL),
  published_at bigint NOT NULL,
  published_by text NOT NULL,
  source       text NOT NULL CHECK (source IN ('publish', 'manifest')),
  PRIMARY KEY (project, service, version)
);
CREATE INDEX versions_by_published ON versions (project, service, published_at);

CREATE TABLE outbox (
  id              text PRIMARY KEY,
  ord             bigserial NOT NULL UNIQUE,
  channel         text NOT NULL,
  event_seq       bigint NOT NULL REFERENCES events (seq),
  release_id      text NOT NULL,
  status          text NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at bigint NOT NULL,
  last_error      text,
  created_at      bigint NOT NULL,
  delivered_at    bigint,
  digest_group    text,
  batch           text,
  claimed_by      text,
  claimed_until   bigint
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_by_channel ON outbox (channel, status, created_at);
CREATE INDEX outbox_by_group ON outbox (channel, digest_group, status);
CREATE INDEX outbox_by_batch ON outbox (batch) WHERE batch IS NOT NULL;

CREATE TABLE api_tokens (
  id           text PRIMARY KEY,
  ord          bigserial NOT NULL UNIQUE,
  name         text NOT NULL UNIQUE,
  role         text NOT NULL CHECK (role IN ('viewer', 'deployer', 'approver', 'admin')),
  actor        text NOT NULL,
  environments text NOT NULL CHECK (environments::json IS NOT NULL),
  hash         text NOT NULL UNIQUE,
  created_at   bigint NOT NULL,
  expires_at   bigint,
  revoked_at   bigint
);

CREATE TABLE audit (
  seq       bigint PRIMARY KEY,
  prev_hash text NOT NULL,
  hash      text NOT NULL,
  at        bigint NOT NULL,
  actor     text NOT NULL,
  origin    text NOT NULL,
  action    text NOT NULL,
  subject   text NOT NULL,
  reason    text,
  data      text CHECK (data IS NULL OR data::json IS NOT NULL)
);
CREATE INDEX audit_by_actor ON audit (actor, seq);
CREATE INDEX audit_by_subject ON audit (subject, seq);
CREATE INDEX audit_by_at ON audit (at, seq);
CREATE TRIGGER audit_is_append_only BEFORE UPDATE OR DELETE ON audit
  FOR EACH ROW EXECUTE FUNCTION tandem_append_only();
CREATE TRIGGER audit_is_not_truncated BEFORE TRUNCATE ON audit
  FOR EACH STATEMENT EXECUTE FUNCTION tandem_append_only();

CREATE TABLE audit_head (
  id   integer PRIMARY KEY CHECK (id = 1),
  seq  bigint NOT NULL,
  hash text NOT NULL
);
CREATE FUNCTION tandem_audit_head_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN RAISE EXCEPTION 'the audit head cannot be deleted'; END IF;
  IF NEW.seq <= OLD.seq THEN RAISE EXCEPTION 'the audit head only moves forward'; END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER audit_head_moves_forward BEFORE UPDATE OR DELETE ON audit_head
  FOR EACH ROW EXECUTE FUNCTION tandem_audit_head_guard();
CREATE TRIGGER audit_head_is_not_truncated BEFORE TRUNCATE ON audit_head
  FOR EACH STATEMENT EXECUTE FUNCTION tandem_append_only();
`;

/** Every PostgreSQL migration, oldest first. Append new ones; never edit one that has shipped. */
export const PG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "initial schema (sqlite schema 7: rollout rows, outbox, tokens, audit; lease epochs)",
    sql: initialSchema,
  },
];

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    integer PRIMARY KEY,
  name       text NOT NULL,
  applied_at bigint NOT NULL
)`;

/**
 * Applies the migrations not yet recorded in `schema_migrations`, in one transaction that first takes
 * the migration lock: a second process starting at the same moment waits, then finds everything
 * applied. PostgreSQL's DDL is transactional: a failed migration leaves nothing behind. Returns the
 * migrations applied by this call (none on a current schema; then nothing is written, so a read-only
 * store can call it).
 */
export async function applyPgMigrations(
  connection: PostgresConnection,
  migrations: readonly Migration[] = PG_MIGRATIONS,
  now: () => number = Date.now,
): Promise<Migration[]> {
  return connection.transaction(async (sql) => {
    await lock(sql, "migrate");
    const exists = await sql.query<{ found: string | null }>(
      "SELECT to_regclass('schema_migrations')::text AS found",
    );
    if (exists.rows[0]?.found == null) await sql.query(createMigrationsTable);
    const rows = await sql.query<{ version: number }>("SELECT version FROM schema_migrations");
    const applied = new Set(rows.rows.map((row) => row.version));
    const newest = Math.max(0, ...applied);
    const known = migrations.at(-1)?.version ?? 0;
    if (newest > known) {
      throw new StoreError(
        `the database has schema version ${newest}, newer than this tandem knows (${known})`,
        { hint: "upgrade tandem, or point it at another database" },
      );
    }
    const appliedNow: Migration[] = [];
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue;
      await sql.query(migration.sql);
      await sql.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", [
        migration.version,
        migration.name,
        now(),
      ]);
      appliedNow.push(migration);
    }
    return appliedNow;
  });
}

/** The schema version of the database (0 before the first migration). */
export async function schemaVersion(connection: PostgresConnection): Promise<number> {
  const exists = await connection.query<{ found: string | null }>(
    "SELECT to_regclass('schema_migrations')::text AS found",
  );
  if (exists.rows[0]?.found == null) return 0;
  const row = await connection.query<{ newest: number | null }>(
    "SELECT max(version) AS newest FROM schema_migrations",
  );
  return row.rows[0]?.newest ?? 0;
}
