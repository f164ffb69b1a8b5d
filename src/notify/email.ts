import { createTransport, type Transporter } from "nodemailer";
import { redactSecrets } from "../config/redact.js";
import { withTimeout } from "../core/abort.js";
import type { NotificationChannelConfig } from "../core/config.js";
import { formatEmail } from "./email-format.js";
import { NotificationError } from "./errors.js";
import { scrubNotification } from "./scrub.js";
import type { Notification, Notifier } from "./types.js";

type EmailConfig = Extract<NotificationChannelConfig, { type: "email" }>;

const HINTS: Record<string, string> = {
  EAUTH: "the SMTP server refused the credentials; check `auth.user` and `auth.pass`",
  ECONNECTION: "check `host` and `port`, and that the SMTP server is reachable from this machine",
  ETLS: "the TLS handshake failed; check `secure`/`requireTLS`, or set `insecureTLS` for a test server",
  ETIMEDOUT: "the SMTP server did not answer in time; raise the channel's `timeout`",
  EENVELOPE: "the server refused the sender or a recipient; check `from` and `to`",
};

/** Sends each notification as one email (text and HTML) through an SMTP server, with nodemailer. */
export class EmailNotifier implements Notifier {
  readonly type = "email" as const;
  readonly name: string;
  private readonly transport: Transporter;

  constructor(private readonly config: EmailConfig) {
    this.name = config.name;
    this.transport = createTransport({
      host: config.host,
      port: config.port,
      secure: config.secure,
      requireTLS: config.requireTLS,
      auth: config.auth ? { user: config.auth.user, pass: config.auth.pass } : undefined,
      tls: { rejectUnauthorized: !config.insecureTLS },
      connectionTimeout: config.timeout,
      greetingTimeout: config.timeout,
      socketTimeout: config.timeout,
      logger: false,
      debug: false,
    });
  }

  async send(notification: Notification, parent: AbortSignal): Promise<void> {
    const where = `SMTP ${this.config.host}:${this.config.port}`;
    if (parent.aborted) throw new NotificationError(this.name, `${where}: aborted`);
    const content = formatEmail(scrubNotification(notification));
    try {
      await withTimeout(parent, this.config.timeout, (signal) =>
        this.transport.sendMail({
          from: this.config.from,
          to: this.config.to,
          subject: content.subject,
          text: content.text,
          html: content.html,
          messageId: content.messageId,
          headers: content.headers,
          signal,
        }),
      );
    } catch (error) {
      if (parent.aborted) throw new NotificationError(this.name, `${where}: aborted`);
      const name = error instanceof Error ? error.name : "";
      if (name === "TimeoutError" || name === "AbortError") {
        throw new NotificationError(this.name, `${where}: no answer within ${this.config.timeout}ms`, {
          hint: HINTS.ETIMEDOUT,
        });
      }
      const code = smtpCode(error);
      throw new NotificationError(this.name, `${where}: ${this.describe(error)}`, {
        hint: code ? HINTS[code] : undefined,
      });
    }
  }

  /** nodemailer's code and the server's answer, without the credentials. */
  private describe(error: unknown): string {
    const code = smtpCode(error);
    const message = error instanceof Error ? error.message : String(error);
    let text = redactSecrets(message.replace(/\s+/g, " ").trim()).slice(0, 300);
    const pass = this.config.auth?.pass;
    if (pass) text = text.split(pass).join("***");
    return code ? `${code} ${text}` : text;
  }
}

function smtpCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}
