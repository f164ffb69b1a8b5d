import type { Command } from "commander";
import { formatDuration, parseDuration } from "../core/duration.js";
import { TandemError } from "../core/errors.js";
import type { OutboxDelivery, OutboxStatus } from "../store/types.js";
import { type GlobalOptions, printJson, withOrchestrator } from "./context.js";
import { withClient } from "./remote.js";

type Globals = () => GlobalOptions;

/** `tandem notifications`: the outbox's backlog, reviving dead deliveries, delivering now. */
export function registerNotificationCommands(program: Command, globals: Globals): void {
  const notifications = program
    .command("notifications")
    .description("list notifications not delivered yet (pending and dead); see its subcommands")
    .option("--channel <name>", "only this channel")
    .option("--all", "delivered ones too")
    .action((options: ListOptions) => list(globals, options));

  notifications
    .command("list")
    .description("list notifications not delivered yet (pending and dead)")
    .option("--channel <name>", "only this channel")
    .option("--all", "delivered ones too")
    .action((options: ListOptions) => list(globals, options));

  notifications
    .command("retry")
    .description("make dead deliveries pending again (ids, or every dead one with --all-dead)")
    .argument("[ids...]", "delivery ids (a digest's id revives its whole batch)")
    .option("--all-dead", "every dead delivery")
    .action(async (ids: string[], options: { allDead?: boolean }) =>
      withClient(globals(), async (client) => {
        if (ids.length === 0 && !options.allDead) {
          throw new TandemError("TANDEM_ERR_INVALID_REQUEST", "name the deliveries to retry", {
            hint: "`tandem notifications` lists them; or pass --all-dead",
          });
        }
        const { revived } = await client.retryNotifications(options.allDead ? { allDead: true } : { ids });
        if (globals().json) return printJson({ revived });
        console.log(
          `${revived} deliver${revived === 1 ? "y" : "ies"} pending again; the next engine or \`tandem notifications deliver\` sends them`,
        );
      }),
    );

  notifications
    .command("deliver")
    .description("deliver the notifications that are due now, then exit")
    .option("--timeout <duration>", "give up after this long (what is left stays pending)", "60s")
    .action(async (options: { timeout: string }) =>
      withOrchestrator(globals(), async (o) => {
        const before = await counts(o.store.outboxCounts());
        if (!o.notifications.get()) {
          throw new TandemError("TANDEM_ERR_INVALID_REQUEST", "no notification channel can deliver", {
            hint: "configure `notifications:` in tandem.yaml",
          });
        }
        const pending = await o.notifications.drain(parseDuration(options.timeout));
        const after = await counts(o.store.outboxCounts());
        const result = {
          delivered: after.delivered - before.delivered,
          dead: after.dead - before.dead,
          pending,
        };
        if (globals().json) return printJson(result);
        console.log(`delivered ${result.delivered}, dead ${result.dead}, still pending ${result.pending}`);
      }),
    );
}

interface ListOptions {
  channel?: string;
  all?: boolean;
}

async function list(globals: Globals, options: ListOptions): Promise<void> {
  await withClient(globals(), async (client) => {
    const rows = await client.deliveries(options);
    if (globals().json) return printJson(rows.map(view));
    if (rows.length === 0) return console.log("no notification waiting");
    const now = Date.now();
    for (const row of rows) {
      const next =
        row.status !== "pending"
          ? "-"
          : row.nextAttemptAt <= now
            ? "due"
            : `in ${formatDuration(row.nextAttemptAt - now)}`;
      console.log(
        `${row.id}  ${row.channel.padEnd(12)} ${row.status.padEnd(9)} ${row.event.type.padEnd(22)} ${row.releaseId}  attempts ${row.attempts}  next ${next}${row.lastError ? `  last error: ${row.lastError}` : ""}`,
      );
    }
  });
}

/** What `--json` shows of a delivery. */
function view(row: OutboxDelivery) {
  return {
    id: row.id,
    channel: row.channel,
    status: row.status,
    event: { seq: row.eventSeq, type: row.event.type, service: row.event.service, at: row.event.at },
    releaseId: row.releaseId,
    attempts: row.attempts,
    nextAttemptAt: row.nextAttemptAt,
    lastError: row.lastError,
    createdAt: row.createdAt,
    deliveredAt: row.deliveredAt,
    batch: row.batch,
  };
}

async function counts(
  all: Promise<Array<{ status: OutboxStatus; count: number }>>,
): Promise<Record<OutboxStatus, number>> {
  const result: Record<OutboxStatus, number> = { pending: 0, delivered: 0, dead: 0 };
  for (const row of await all) result[row.status] += row.count;
  return result;
}
