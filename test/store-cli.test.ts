import { execFileSync } from "node:child_process";
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import type { ReleaseState } from "../src/core/types.js";
import { damageStore } from "../src/store/damage.fixtures.js";
import { type CliOptions, type CliResult, describeRun } from "./helpers/cli.js";
import { TestProject } from "./helpers/project.js";

/**
 * The store file failing under the compiled CLI. Damaged (3,000 random bytes in the middle): every
 * command refuses it with TANDEM_ERR_STORE_CORRUPT and exit 5, `audit verify` never says OK, `store
 * check` lists the damage, and `deploy` creates nothing. Read-only: the read commands work, `deploy`
 * names the read-only file (exit 3) and creates nothing.
 */

const CONFIG = `project: shop
environments:
  staging: {}
services:
  api:
    target: { type: sim }
`;
const STORE_CORRUPT = 5;
const OPERATIONAL = 3;
const TIMEOUT = { timeoutMs: 30_000 };

describe("a damaged or read-only store through the CLI", () => {
  let project: TestProject | undefined;

  afterEach(async () => {
    const finished = project;
    project = undefined;
    if (finished) {
      const stateDir = join(finished.dir, ".tandem");
      if (existsSync(stateDir)) chmodSync(stateDir, 0o755);
      await finished.cleanup();
    }
  });

  /** A project that ran one release; its store file. */
  async function deployed(): Promise<{ p: TestProject; file: string; first: ReleaseState }> {
    const p = TestProject.withConfigText(CONFIG);
    project = p;
    const first = await p.cliJson<ReleaseState>(["deploy", "api@1.0.0"], 0, TIMEOUT);
    expect(first.status).toBe("succeeded");
    return { p, first, file: join(p.dir, ".tandem", "tandem.db") };
  }

  function releaseRows(file: string): Array<{ id: string; status: string }> {
    const db = new Database(file, { readonly: true });
    try {
      return db.prepare("SELECT id, status FROM releases ORDER BY created_at").all() as Array<{
        id: string;
        status: string;
      }>;
    } finally {
      db.close();
    }
  }

  async function expectExit(p: TestProject, args: string[], code: number, options: CliOptions = {}) {
    const result: CliResult = await p.cli(args, { ...TIMEOUT, ...options });
    expect(result.code, describeRun(args, result)).toBe(code);
    return result;
  }

  it("refuses a damaged store in every command, with the file and what to do; deploy creates nothing", async () => {
    const { p, file, first } = await deployed();
    damageStore(file);

    for (const args of [["status"], ["history"], ["audit"], ["audit", "verify"], ["deploy", "api@2.0.0"]]) {
      const result = await expectExit(p, args, STORE_CORRUPT);
      expect(result.stderr, describeRun(args, result)).toContain(
        `error TANDEM_ERR_STORE_CORRUPT: the store ${file} is corrupted`,
      );
      expect(result.stderr).toContain("restore it from your latest backup");
      expect(result.stderr).toContain("`tandem store check`");
      expect(result.stdout).not.toContain("OK");
    }
    // Nothing was created (nor left pending) by the refused deploy.
    expect(releaseRows(file)).toEqual([{ id: first.id, status: "succeeded" }]);

    const check = await expectExit(p, ["store", "check"], STORE_CORRUPT);
    expect(check.stderr).toContain(`store ${file}`);
    expect(check.stderr).toMatch(/FAILED pages +quick_check: /);
    expect(check.stderr).toContain("store DAMAGED");
    const json = await p.cli(["--json", "store", "check", "--full"], TIMEOUT);
    expect(json.code).toBe(STORE_CORRUPT);
    expect(JSON.parse(json.stdout)).toMatchObject({ file, ok: false, exitCode: STORE_CORRUPT });
  });

  it("store check passes a sound store with its audit chain, and fails a broken chain with exit 4", async () => {
    const { p, file } = await deployed();
    const check = await expectExit(p, ["store", "check"], 0);
    expect(check.stdout).toMatch(/ok +pages +quick_check: ok/);
    expect(check.stdout).toMatch(/ok +schema +schema version \d+, every table, index and trigger present/);
    expect(check.stdout).toMatch(/ok +audit +hash chain of 3 entries verified/);
    expect(check.stdout).toContain("store OK");

    const db = new Database(file);
    db.exec("DROP TRIGGER audit_is_append_only_update");
    db.prepare("UPDATE audit SET actor = 'mallory' WHERE seq = 1").run();
    db.exec(`CREATE TRIGGER audit_is_append_only_update BEFORE UPDATE ON audit
      BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: UPDATE is not allowed'); END`);
    db.close();
    const broken = await expectExit(p, ["store", "check"], 4);
    expect(broken.stderr).toMatch(/FAILED audit +hash chain broken at entry 1/);
  });

  it("reads from a read-only store; deploy names the read-only file and creates nothing", async () => {
    const { p, file, first } = await deployed();
    // Root writes any file whatever its mode: run the CLI as an ordinary user then.
    const root = process.getuid?.() === 0;
    const user: CliOptions = root ? { user: { uid: 65534, gid: 65534 } } : {};
    chmodSync(p.dir, 0o755);
    chmodSync(file, 0o444);
    chmodSync(join(p.dir, ".tandem"), 0o555);

    const reads: Record<string, string> = {};
    for (const args of [
      ["status"],
      ["history"],
      ["audit"],
      ["audit", "verify"],
      ["registry"],
      ["report"],
      ["store", "check"],
    ]) {
      reads[args.join(" ")] = (await expectExit(p, args, 0, user)).stdout;
    }
    expect(reads.history).toContain(first.id);
    expect(reads["audit verify"]).toContain("audit trail OK: 3 entries");
    expect(reads["store check"]).toContain("store OK");

    const deploy = await expectExit(p, ["deploy", "api@2.0.0"], OPERATIONAL, user);
    expect(deploy.stderr).toContain(`error TANDEM_ERR_STORE_READONLY: the store ${file} is read-only`);
    expect(deploy.stderr).toContain(`make ${file} and its directory writable`);
    expect(releaseRows(file)).toEqual([{ id: first.id, status: "succeeded" }]);
  });

  it("names a full disk (a small tmpfs, filled): deploy creates nothing, reads still work", async (ctx) => {
    if (process.getuid?.() !== 0) return ctx.skip("mounting a tmpfs needs root");
    const disk = mkdtempSync(join(tmpdir(), "tandem-full-disk-"));
    try {
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", disk]);
    } catch {
      rmSync(disk, { recursive: true, force: true });
      return ctx.skip("tmpfs cannot be mounted here");
    }
    try {
      const file = join(disk, "tandem.db");
      const p = TestProject.withConfigText(`${CONFIG}store: { path: ${file} }\n`);
      project = p;
      const first = await p.cliJson<ReleaseState>(["deploy", "api@1.0.0"], 0, TIMEOUT);
      // Fill the disk: 4 KiB blocks until ENOSPC (1 MiB at most).
      const fd = openSync(join(disk, "filler"), "w");
      try {
        for (let i = 0; i < 256; i++) writeSync(fd, Buffer.alloc(4096));
      } catch (error) {
        expect((error as NodeJS.ErrnoException).code).toBe("ENOSPC");
      } finally {
        closeSync(fd);
      }

      const deploy = await expectExit(p, ["deploy", "api@2.0.0"], OPERATIONAL);
      expect(deploy.stderr).toContain(
        `error TANDEM_ERR_STORE_FULL: the store ${file} cannot grow: the disk is full`,
      );
      expect(deploy.stderr).toContain(`free space on the disk that holds ${file}`);
      expect((await expectExit(p, ["history"], 0)).stdout).toContain(first.id);

      rmSync(join(disk, "filler"));
      expect(releaseRows(file)).toEqual([{ id: first.id, status: "succeeded" }]);
    } finally {
      execFileSync("umount", [disk]);
      rmSync(disk, { recursive: true, force: true });
    }
  });
});
