import type Database from "better-sqlite3";
import { StoreError } from "../core/errors.js";

/** One schema change. Versions are applied in ascending order, each at most once. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const initialSchema = `
CREATE TABLE releases (
  id          TEXT PRIMARY KEY,
  project     TEXT NOT NULL,
  environment TEXT NOT NULL,
  status      TEXT NOT NULL,
  revision    INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  state       TEXT NOT NULL CHECK (json_valid(state))
);
CREATE INDEX releases_by_project ON releases (project, environment, created_at);
CREATE INDEX releases_by_status ON releases (project, status);

CREATE TABLE rollouts (
  release_id     TEXT NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
  service        TEXT NOT NULL,
  version        TEXT NOT NULL,
  stable_version TEXT,
  status         TEXT NOT NULL,
  PRIMARY KEY (release_id, service)
);
CREATE INDEX rollouts_by_service ON rollouts (service, release_id);

CREATE TABLE events (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  at          INTEGER NOT NULL,
  release_id  TEXT NOT NULL,
  project     TEXT NOT NULL,
  environment TEXT NOT NULL,
  service     TEXT,
  type        TEXT NOT NULL,
  severity    TEXT NOT NULL,
  message     TEXT NOT NULL,
  data        TEXT CHECK (data IS NULL OR json_valid(data))
);
CREATE INDEX events_by_release ON events (release_id, seq);
CREATE INDEX events_by_project ON events (project, seq);
CREATE TRIGGER events_are_append_only_update BEFORE UPDATE ON events
BEGIN
  SELECT RAISE(ABORT, 'events are append-only: UPDATE is not allowed');
END;
CREATE TRIGGER events_are_append_only_delete BEFORE DELETE ON events
BEGIN
  SELECT RAISE(ABORT, 'events are append-only: DELETE is not allowed');
END;

CREATE TABLE commands (
  id          TEXT PRIMARY KEY,
  release_id  TEXT NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
  service     TEXT,
  type        TEXT NOT NULL,
  actor       TEXT NOT NULL,
  reason      TEXT,
  created_at  INTEGER NOT NULL,
  consumed_at INTEGER
);
CREATE INDEX commands_pending ON commands (release_id, consumed_at, created_at);

CREATE TABLE registry (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  project     TEXT NOT NULL,
  environment TEXT NOT NULL,
  service     TEXT NOT NULL,
  version     TEXT NOT NULL,
  release_id  TEXT NOT NULL,
  at          INTEGER NOT NULL
);
CREATE INDEX registry_by_service ON registry (project, environment, service, at, id);

CREATE TABLE instances (
  id          TEXT PRIMARY KEY,
  project     TEXT NOT NULL,
  environment TEXT NOT NULL,
  service     TEXT NOT NULL,
  version     TEXT NOT NULL,
  host        TEXT NOT NULL,
  port        INTEGER NOT NULL,
  pid         INTEGER,
  started_at  INTEGER NOT NULL,
  log_file    TEXT NOT NULL
);
CREATE INDEX instances_by_service ON instances (project, environment, service, version);

CREATE TABLE routers (
  project     TEXT NOT NULL,
  environment TEXT NOT NULL,
  service     TEXT NOT NULL,
  pid         INTEGER NOT NULL,
  listen_host TEXT NOT NULL,
  listen_port INTEGER NOT NULL,
  admin_port  INTEGER NOT NULL,
  token       TEXT NOT NULL,
  started_at  INTEGER NOT NULL,
  PRIMARY KEY (project, environment, service)
);

CREATE TABLE leases (
  name       TEXT PRIMARY KEY,
  holder     TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
`;

/**
 * Version metadata (registry publish or a manifest shipped with the artifact), one row per
 * project + service + version; provides and requires are JSON objects.
 */
const versionsTable = `
CREATE TABLE versions (
  project      TEXT NOT NULL,
  service      TEXT NOT NULL,
  version      TEXT NOT NULL,
  provides     TEXT NOT NULL CHECK (json_valid(provides)),
  requires     TEXT NOT NULL CHECK (json_valid(requires)),
  published_at INTEGER NOT NULL,
  published_by TEXT NOT NULL,
  source       TEXT NOT NULL CHECK (source IN ('publish', 'manifest')),
  PRIMARY KEY (project, service, version)
);
CREATE INDEX versions_by_published ON versions (project, service, published_at);
`;

/**
 * The notification outbox: one row per (event, channel) routed to it, written in the transaction that
 * writes the event. `id` is the idempotency key; `batch` fixes a digest's rows once first attempted;
 * `claimed_by`/`claimed_until` keep two dispatchers from sending the same row at once.
 */
const outboxTable = `
CREATE TABLE outbox (
  id              TEXT PRIMARY KEY,
  channel         TEXT NOT NULL,
  event_seq       INTEGER NOT NULL REFERENCES events (seq),
  release_id      TEXT NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error      TEXT,
  created_at      INTEGER NOT NULL,
  delivered_at    INTEGER,
  digest_group    TEXT,
  batch           TEXT,
  claimed_by      TEXT,
  claimed_until   INTEGER
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_by_channel ON outbox (channel, status, created_at);
CREATE INDEX outbox_by_group ON outbox (channel, digest_group, status);
`;

/**
 * API tokens (`tandem token`, src/api/): only the sha256 of a token is stored; `environments` is a JSON
 * array (empty: every environment); `revoked_at` set once revoked.
 */
const apiTokensTable = `
CREATE TABLE api_tokens (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL UNIQUE,
  role         TEXT NOT NULL CHECK (role IN ('viewer', 'deployer', 'approver', 'admin')),
  actor        TEXT NOT NULL,
  environments TEXT NOT NULL CHECK (json_valid(environments)),
  hash         TEXT NOT NULL UNIQUE,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER,
  revoked_at   INTEGER
);
`;

/**
 * The audit trail (src/audit/): append-only, hash-chained. `seq` is assigned in the writing transaction
 * (last + 1), `hash` = sha256 of the canonical entry (src/audit/hash.ts). Triggers refuse UPDATE and
 * DELETE; `audit_head` (one row, only moving forward) records the last entry, so deleting the tail of
 * `audit` alone is noticed by `tandem audit verify`.
 */
const auditTable = `
CREATE TABLE audit (
  seq       INTEGER PRIMARY KEY,
  prev_hash TEXT NOT NULL,
  hash      TEXT NOT NULL,
  at        INTEGER NOT NULL,
  actor     TEXT NOT NULL,
  origin    TEXT NOT NULL,
  action    TEXT NOT NULL,
  subject   TEXT NOT NULL,
  reason    TEXT,
  data      TEXT CHECK (data IS NULL OR json_valid(data))
);
CREATE INDEX audit_by_actor ON audit (actor, seq);
CREATE INDEX audit_by_subject ON audit (subject, seq);
CREATE INDEX audit_by_at ON audit (at, seq);
CREATE TRIGGER audit_is_append_only_update BEFORE UPDATE ON audit
BEGIN
  SELECT RAISE(ABORT, 'the audit log is append-only: UPDATE is not allowed');
END;
CREATE TRIGGER audit_is_append_only_delete BEFORE DELETE ON audit
BEGIN
  SELECT RAISE(ABORT, 'the audit log is append-only: DELETE is not allowed');
END;

CREATE TABLE audit_head (
  id   INTEGER PRIMARY KEY CHECK (id = 1),
  seq  INTEGER NOT NULL,
  hash TEXT NOT NULL
);
CREATE TRIGGER audit_head_moves_forward BEFORE UPDATE ON audit_head
WHEN NEW.seq <= OLD.seq
BEGIN
  SELECT RAISE(ABORT, 'the audit head only moves forward');
END;
CREATE TRIGGER audit_head_is_kept BEFORE DELETE ON audit_head
BEGIN
  SELECT RAISE(ABORT, 'the audit head cannot be deleted');
END;
`;

/** Which API token gave a command (approve, abort…), when it came through the API. */
const commandTokens = `
ALTER TABLE commands ADD COLUMN token_id TEXT;
ALTER TABLE commands ADD COLUMN token_name TEXT;
`;

/**
 * Each rollout its own row (its state as JSON, in release order by `position`), the services' stored
 * configuration in `release_services` (written once, at creation), and `releases.state` only the
 * release's own fields: a reconcile pass rewrites the small release row and the rollouts it changed,
 * not the whole release. Existing releases are split from their stored JSON, the authoritative copy.
 */
const rolloutRows = `
CREATE TABLE release_services (
  release_id TEXT PRIMARY KEY REFERENCES releases (id) ON DELETE CASCADE,
  services   TEXT NOT NULL CHECK (json_valid(services))
);
INSERT INTO release_services (release_id, services)
  SELECT id, json_extract(state, '$.services') FROM releases WHERE json_type(state, '$.services') = 'object';

DROP TABLE rollouts;
CREATE TABLE rollouts (
  release_id     TEXT NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
  service        TEXT NOT NULL,
  position       INTEGER NOT NULL,
  version        TEXT NOT NULL,
  stable_version TEXT,
  status         TEXT NOT NULL,
  state          TEXT NOT NULL CHECK (json_valid(state)),
  PRIMARY KEY (release_id, service)
);
CREATE INDEX rollouts_by_service ON rollouts (service, release_id);
CREATE INDEX rollouts_in_order ON rollouts (release_id, position);
INSERT INTO rollouts (release_id, service, position, version, stable_version, status, state)
  SELECT r.id, json_extract(j.value, '$.service'), CAST(j.key AS INTEGER), json_extract(j.value, '$.version'),
         json_extract(j.value, '$.stableVersion'), json_extract(j.value, '$.status'), json(j.value)
  FROM releases r, json_each(r.state, '$.rollouts') j;

UPDATE releases SET state = json_remove(state, '$.rollouts', '$.services');
`;

/** Every migration, oldest first. Append new ones; never edit one that has shipped. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "initial schema", sql: initialSchema },
  { version: 2, name: "version metadata", sql: versionsTable },
  { version: 3, name: "notification outbox", sql: outboxTable },
  { version: 4, name: "api tokens", sql: apiTokensTable },
  { version: 5, name: "audit trail", sql: auditTable },
  { version: 6, name: "command tokens", sql: commandTokens },
  { version: 7, name: "rollout rows", sql: rolloutRows },
];

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  applied_at INTEGER NOT NULL
)`;

/**
 * Applies the migrations not yet recorded in `schema_migrations`, all in one BEGIN IMMEDIATE
 * transaction: a second process migrating at the same moment waits (busy_timeout), then finds
 * everything applied. Returns the versions applied by this call.
 */
export function applyMigrations(
  db: Database.Database,
  migrations: readonly Migration[] = MIGRATIONS,
  now: () => number = Date.now,
): number[] {
  assertOrdered(migrations);
  const migrate = db.transaction((): number[] => {
    db.exec(createMigrationsTable);
    const applied = new Set(db.prepare("SELECT version FROM schema_migrations").pluck().all() as number[]);
    const newest = Math.max(0, ...applied);
    const known = migrations.at(-1)?.version ?? 0;
    if (newest > known) {
      throw new StoreError(
        `the database has schema version ${newest}, newer than this tandem knows (${known})`,
        { hint: "upgrade tandem, or point it at another database file" },
      );
    }
    const record = db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)");
    const appliedNow: number[] = [];
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue;
      db.exec(migration.sql);
      record.run(migration.version, now());
      appliedNow.push(migration.version);
    }
    return appliedNow;
  });
  return migrate.immediate();
}

function assertOrdered(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    const previous = migrations[index - 1];
    if (!Number.isInteger(migration.version) || migration.version < 1) {
      throw new StoreError(`migration "${migration.name}" has an invalid version ${migration.version}`);
    }
    if (previous && migration.version <= previous.version) {
      throw new StoreError(
        `migrations out of order: ${previous.version} "${previous.name}" before ${migration.version} "${migration.name}"`,
      );
    }
  });
}
