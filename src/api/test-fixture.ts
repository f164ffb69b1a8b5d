import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import { parseConfigWithRaw } from "../config/index.js";
import { ManualClock } from "../core/clock.js";
import { isTerminal, type ReleaseState } from "../core/types.js";
import { Orchestrator } from "../orchestrator.js";
import { SqliteStore } from "../store/sqlite.js";
import { resetSimInstances } from "../targets/sim.js";
import { MemoryRouter } from "../testing/memory-router.js";
import { createApiServer } from "./server.js";
import type { StreamOptions } from "./sse.js";
import { createToken } from "./tokens.js";

/** Test helper: a project with staging and production (both gated), seeded releases and one token per role. */
export const API_YAML = `
project: shop
environments:
  staging: { approval: { required: 1 } }
  production:
    after: staging
    approval: { required: 1 }
    services: { api: { router: { listen: 18702 } }, web: { router: { listen: 18703 } } }
services:
  api:
    target: { type: sim, replicas: 1 }
    router: { type: builtin, listen: 18700 }
    strategy: { canary: { steps: [{ setWeight: 50 }, { pause: 10s }] } }
  web:
    target: { type: sim, replicas: 1 }
    router: { type: builtin, listen: 18701 }
    strategy: { canary: { steps: [{ setWeight: 50 }] } }
`;

/**
 * The tokens of the fixture, by name: each role for all environments (`admin`), limited to staging
 * (`admin-staging`) and limited to production (`admin-production`).
 */
export const TOKEN_SPECS: ReadonlyArray<{ name: string; role: string; environments?: string[] }> = [
  "viewer",
  "deployer",
  "approver",
  "admin",
].flatMap((role) => [
  { name: role, role },
  { name: `${role}-staging`, role, environments: ["staging"] },
  { name: `${role}-production`, role, environments: ["production"] },
]);

export interface Seed {
  dir: string;
  file: string;
  /** Tokens by name. */
  tokens: Record<string, string>;
  /** web@1.0.0 and api@1.0.0, each succeeded in staging. */
  s1: string;
  s3: string;
  /** api@1.0.0 in production, waiting for approval. */
  p1: string;
  /** api@2.0.0 in staging, waiting for approval. */
  s2: string;
  clockStart: number;
  /** A stand-in for the built dashboard: index.html and assets/app.js. */
  webRoot: string;
}

async function drive(o: Orchestrator, clock: ManualClock, id: string): Promise<ReleaseState> {
  let state = await o.engine.reconcileOnce(id);
  for (let i = 0; i < 200 && !isTerminal(state.status); i++) {
    await clock.advance(1_000);
    state = await o.engine.reconcileOnce(id);
  }
  return state;
}

function open(clock: ManualClock, store: SqliteStore, dir: string): Orchestrator {
  const router = new MemoryRouter();
  return new Orchestrator(parseConfigWithRaw(API_YAML, join(dir, "tandem.yaml")), {
    store,
    clock,
    env: { TANDEM_USER: "seed" },
    plugins: { createRouter: () => router },
  });
}

/** Builds the seeded database once; `openFixture` works on copies of it. */
export async function createSeed(): Promise<Seed> {
  resetSimInstances();
  const dir = mkdtempSync(join(tmpdir(), "tandem-api-seed-"));
  const file = join(dir, "seed.db");
  const clock = new ManualClock();
  const clockStart = clock.now();
  const store = new SqliteStore(file);
  await store.migrate();
  const o = open(clock, store, dir);
  const succeed = async (service: string) => {
    const r = await o.createRelease({ environment: "staging", services: [service], actor: "seed" });
    await o.approve(r.id, { actor: "seed-approver" });
    const final = await drive(o, clock, r.id);
    if (final.status !== "succeeded") throw new Error(`seed release ${service} ${final.status}`);
    return r.id;
  };
  const s1 = await succeed("web@1.0.0");
  const s3 = await succeed("api@1.0.0");
  const p1 = (await o.promote(s3, { actor: "seed" })).id;
  const s2 = (await o.createRelease({ environment: "staging", services: ["api@2.0.0"], actor: "seed" })).id;
  const tokens: Record<string, string> = {};
  for (const spec of TOKEN_SPECS) {
    tokens[spec.name] = (
      await createToken(
        store,
        clock,
        {
          ...spec,
          environments: spec.environments ? [...spec.environments] : [],
        },
        { actor: "seed", origin: "library" },
      )
    ).token;
  }
  await o.close();
  await store.close();
  const webRoot = join(dir, "web");
  mkdirSync(join(webRoot, "assets"), { recursive: true });
  writeFileSync(
    join(webRoot, "index.html"),
    '<!doctype html><script type="module" src="/assets/app.js"></script>',
  );
  writeFileSync(join(webRoot, "assets", "app.js"), 'document.title = "Tandem";\n');
  return { dir, file, tokens, s1, s2, s3, p1, clockStart, webRoot };
}

export interface ApiFixture {
  app: FastifyInstance;
  orchestrator: Orchestrator;
  store: SqliteStore;
  clock: ManualClock;
  /** Every line the server logged. */
  lines: string[];
  close(): Promise<void>;
}

/** A server on a fresh copy of the seeded database. */
export async function openFixture(seed: Seed, options: { stream?: StreamOptions } = {}): Promise<ApiFixture> {
  resetSimInstances();
  const dir = mkdtempSync(join(tmpdir(), "tandem-api-"));
  const file = join(dir, "tandem.db");
  copyFileSync(seed.file, file);
  const clock = new ManualClock(seed.clockStart + 3_600_000);
  const store = new SqliteStore(file);
  await store.migrate();
  const orchestrator = open(clock, store, dir);
  const lines: string[] = [];
  const app = await createApiServer({
    orchestrator,
    logger: { level: "info", stream: { write: (line: string) => void lines.push(line) } },
    stream: options.stream,
    webRoot: seed.webRoot,
  });
  await app.ready();
  return {
    app,
    orchestrator,
    store,
    clock,
    lines,
    async close() {
      await app.close();
      await orchestrator.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Registers the usual hooks of an API test file: one seed for the file, a fresh fixture (a copy of the
 * seed's store and a server) for each test. Read `seed` and `fixture` inside tests, not at load time.
 */
export function useApiFixture(options: { stream?: StreamOptions } = {}): {
  readonly seed: Seed;
  readonly fixture: ApiFixture;
  /** `Authorization: Bearer` with the seed's token of that name. */
  auth(name: string): { authorization: string };
} {
  let seed: Seed | undefined;
  let fixture: ApiFixture | undefined;
  beforeAll(async () => {
    seed = await createSeed();
  }, 60_000);
  afterAll(() => {
    if (seed) rmSync(seed.dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    fixture = await openFixture(seed!, options);
  });
  afterEach(() => fixture?.close());
  return {
    get seed() {
      return seed!;
    },
    get fixture() {
      return fixture!;
    },
    auth: (name: string) => ({ authorization: `Bearer ${seed!.tokens[name]}` }),
  };
}
