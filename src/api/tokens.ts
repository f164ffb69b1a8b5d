import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { AuditSource } from "../audit/entries.js";
import { normalizeActor } from "../core/actor.js";
import type { Clock } from "../core/clock.js";
import { parseDuration } from "../core/duration.js";
import { TandemError } from "../core/errors.js";
import type { TokenRef } from "../core/types.js";
import type { Store, TokenRecord, TokenRole } from "../store/types.js";
import { checkCeiling } from "./permissions.js";

export const ROLES: readonly TokenRole[] = ["viewer", "deployer", "approver", "admin"];
export const TOKEN_PREFIX = "tdm_";

/** The sha256 of a token, hex: what the store keeps and looks tokens up by. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export interface CreateTokenRequest {
  name: string;
  role: string;
  environments?: string[];
  /** `30d`, `12h`…; none: never expires. */
  expires?: string;
  /** Who acts with the token; default its name. Stored normalised (`normalizeActor`). */
  actor?: string;
}

/** Who creates or revokes a token: the audit source, and through the API the token used. */
export type TokenChangeSource = AuditSource & { token?: TokenRef };

/** A token without its hash: what lists and responses show. */
export type TokenView = Omit<TokenRecord, "hash">;

export function tokenView(record: TokenRecord): TokenView {
  const { hash: _hash, ...view } = record;
  return view;
}

/**
 * Creates a token: 32 random bytes, base64url, prefixed `tdm_`. The token is returned once, never stored.
 * `creator`: the token of the caller through the API; the new token's role and environments must be
 * within its own (src/api/permissions.ts `covers`). Without one (the CLI next to the store: whoever
 * can write the store file), no ceiling applies.
 */
export async function createToken(
  store: Store,
  clock: Clock,
  request: CreateTokenRequest,
  by: TokenChangeSource,
  creator?: TokenRecord,
): Promise<{ token: string; record: TokenView }> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(request.name)) {
    throw new TandemError(
      "TANDEM_ERR_INVALID_REQUEST",
      `token name "${request.name.slice(0, 80)}" is invalid`,
      {
        hint: "use letters, digits, dot, dash or underscore (at most 64)",
      },
    );
  }
  if (!ROLES.includes(request.role as TokenRole)) {
    throw new TandemError("TANDEM_ERR_INVALID_REQUEST", `unknown role "${request.role.slice(0, 40)}"`, {
      hint: `roles: ${ROLES.join(", ")}`,
    });
  }
  const environments = [...new Set(request.environments ?? [])];
  if (creator) {
    checkCeiling(creator, "create", { name: request.name, role: request.role as TokenRole, environments });
  }
  const actor = normalizeActor(request.actor ?? request.name);
  if (actor === "") {
    throw new TandemError("TANDEM_ERR_INVALID_REQUEST", "the token's actor is empty", {
      hint: "name the person or job with --actor",
    });
  }
  const now = clock.now();
  let expiresAt: number | undefined;
  if (request.expires !== undefined) {
    let ms: number;
    try {
      ms = parseDuration(request.expires);
    } catch (error) {
      throw new TandemError(
        "TANDEM_ERR_INVALID_REQUEST",
        `expires "${request.expires.slice(0, 40)}" is not a duration`,
        {
          cause: error,
          hint: "write it like 30d or 12h",
        },
      );
    }
    expiresAt = now + ms;
  }
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
  const record: TokenRecord = {
    id: randomUUID(),
    name: request.name,
    role: request.role as TokenRole,
    actor,
    environments,
    hash: hashToken(token),
    createdAt: now,
    ...(expiresAt === undefined ? {} : { expiresAt }),
  };
  const createdBy = normalizeActor(by.actor);
  await store.putToken(record, [
    {
      at: now,
      actor: by.actor,
      origin: by.origin,
      action: "token.created",
      subject: record.name,
      // Who created it and for whom: an admin minting a token for someone else is visible as such.
      data: {
        id: record.id,
        role: record.role,
        actor: record.actor,
        createdBy,
        onBehalfOf: record.actor !== createdBy,
        ...(by.token ? { byToken: by.token.name, byTokenId: by.token.id } : {}),
        environments: record.environments,
        expiresAt: record.expiresAt,
      },
    },
  ]);
  return { token, record: tokenView(record) };
}

/**
 * Revokes a token by id or name, with its audit entry; false when there is no active one. `revoker`:
 * the caller's token through the API, which may revoke only tokens within its own role and
 * environments (never a more powerful one).
 */
export async function revokeToken(
  store: Store,
  clock: Clock,
  idOrName: string,
  by: TokenChangeSource,
  revoker?: TokenRecord,
): Promise<boolean> {
  const at = clock.now();
  if (revoker) {
    const target = (await store.listTokens()).find(
      (t) => (t.id === idOrName || t.name === idOrName) && t.revokedAt === undefined,
    );
    if (!target) return false;
    checkCeiling(revoker, "revoke", target);
  }
  return store.revokeToken(idOrName, at, [
    {
      at,
      actor: by.actor,
      origin: by.origin,
      action: "token.revoked",
      subject: idOrName,
      ...(by.token ? { data: { byToken: by.token.name, byTokenId: by.token.id } } : {}),
    },
  ]);
}

/**
 * The token presented, checked: 401 (TANDEM_ERR_UNAUTHENTICATED) when missing, unknown, expired or
 * revoked. The lookup is by hash, so no comparison of secrets runs in the server at all.
 */
export async function authenticate(
  store: Store,
  clock: Clock,
  token: string | undefined,
): Promise<TokenRecord> {
  if (!token) {
    throw new TandemError("TANDEM_ERR_UNAUTHENTICATED", "no token: send `Authorization: Bearer TOKEN`", {
      hint: "create one with `tandem token create --name NAME --role ROLE`",
    });
  }
  const record = await store.tokenByHash(hashToken(token));
  if (!record) throw new TandemError("TANDEM_ERR_UNAUTHENTICATED", "unknown token");
  if (record.revokedAt !== undefined) {
    throw new TandemError("TANDEM_ERR_UNAUTHENTICATED", `token "${record.name}" was revoked`);
  }
  if (record.expiresAt !== undefined && record.expiresAt <= clock.now()) {
    throw new TandemError("TANDEM_ERR_UNAUTHENTICATED", `token "${record.name}" expired`, {
      hint: "create a new one",
    });
  }
  return record;
}
