import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { redactSecrets } from "../config/index.js";
import { type ErrorCode, isTandemError } from "../core/errors.js";

/** Every error answer: `{ error: { code, message, hint? } }`. */
export interface ErrorBody {
  error: { code: string; message: string; hint?: string };
}

const STATUS: Partial<Record<ErrorCode, number>> = {
  TANDEM_ERR_NOT_FOUND: 404,
  TANDEM_ERR_INVALID_REQUEST: 400,
  TANDEM_ERR_LIMIT: 400,
  TANDEM_ERR_BUSY: 429,
  TANDEM_ERR_CONFIG: 422,
  TANDEM_ERR_UNKNOWN_TYPE: 422,
  TANDEM_ERR_CAS_CONFLICT: 409,
  TANDEM_ERR_RELEASE_ACTIVE: 409,
  TANDEM_ERR_NOT_ALLOWED: 403,
  TANDEM_ERR_FORBIDDEN: 403,
  TANDEM_ERR_UNAUTHENTICATED: 401,
  TANDEM_ERR_TARGET: 502,
  TANDEM_ERR_ROUTER: 502,
  TANDEM_ERR_PROBE: 502,
  TANDEM_ERR_NOTIFY_FAILED: 502,
  TANDEM_ERR_STORE: 503,
  TANDEM_ERR_STORE_CORRUPT: 503,
  TANDEM_ERR_STORE_FULL: 503,
  TANDEM_ERR_STORE_READONLY: 503,
  TANDEM_ERR_LEASE: 503,
};

/** The HTTP status of a TandemError code (README "Error codes"; 500 only for codes meaning a server fault). */
export function statusOf(code: ErrorCode): number {
  return STATUS[code] ?? 500;
}

const clip = (text: string) => (text.length > 500 ? `${text.slice(0, 500)}…` : text);

/** Sends an error as JSON. Fastify's own 4xx (bad JSON, schema, content type) keep their status. */
export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (isTandemError(error)) {
    const status = statusOf(error.code);
    if (status >= 500)
      request.log.error({ code: error.code, err: redactSecrets(error.message) }, "request failed");
    if (error.retryAfterSeconds !== undefined) reply.header("retry-after", String(error.retryAfterSeconds));
    return reply.code(status).send({
      error: {
        code: error.code,
        message: clip(redactSecrets(error.message)),
        ...(error.hint ? { hint: error.hint } : {}),
      },
    } satisfies ErrorBody);
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const where = fastifyError.validationContext ?? "request";
    return reply.code(400).send({
      error: { code: "TANDEM_ERR_INVALID_REQUEST", message: clip(`${where}: ${fastifyError.message}`) },
    });
  }
  const status = typeof fastifyError.statusCode === "number" ? fastifyError.statusCode : 500;
  if (status >= 400 && status < 500) {
    return reply.code(status).send({
      error: {
        code: status === 404 ? "TANDEM_ERR_NOT_FOUND" : "TANDEM_ERR_INVALID_REQUEST",
        message: clip(fastifyError.message || "bad request"),
      },
    });
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  request.log.error({ err: redactSecrets(message) }, "internal error");
  return reply.code(500).send({ error: { code: "TANDEM_ERR_INTERNAL", message: "internal server error" } });
}
