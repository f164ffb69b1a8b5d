import type { AddressInfo } from "node:net";
import { createServer as createTcpServer, type Socket } from "node:net";
import { inspect } from "node:util";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer, type SMTPServerOptions } from "smtp-server";
import { afterEach, describe, expect, it } from "vitest";
import { clearSecrets, registerSecret } from "../config/redact.js";
import type { NotificationChannelConfig } from "../core/config.js";
import { EmailNotifier } from "./email.js";
import { NotificationError } from "./errors.js";
import { channel, event, manyEvents, notification } from "./test-helpers.js";

const USER = "tandem";
const PASS = "s3cret-smtp-pass";

interface Delivery {
  mail: ParsedMail;
  /** True when the message came over TLS (here: after STARTTLS). */
  secure: boolean;
  user: unknown;
  method: string | undefined;
  envelope: { from: string | false; to: string[] };
}

interface Smtp {
  port: number;
  deliveries: Delivery[];
  close(): Promise<void>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/**
 * A real SMTP server (smtp-server) on loopback: plain at first, offering STARTTLS with the package's
 * built-in self-signed certificate; AUTH checked against USER/PASS; every message parsed by mailparser.
 */
async function startSmtp(options: Partial<SMTPServerOptions> = {}): Promise<Smtp> {
  const deliveries: Delivery[] = [];
  const methods = new Map<string, string>();
  const server = new SMTPServer({
    secure: false,
    authMethods: ["PLAIN", "LOGIN"],
    disabledCommands: [],
    logger: false,
    onAuth(auth, session, callback) {
      if (auth.username === USER && auth.password === PASS) {
        methods.set(session.id, auth.method);
        callback(null, { user: auth.username });
      } else {
        callback(new Error("Invalid username or password"));
      }
    },
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (mail) => {
          deliveries.push({
            mail,
            secure: session.secure,
            user: session.user,
            method: methods.get(session.id),
            envelope: {
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : false,
              to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
            },
          });
          callback();
        },
        (error: Error) => callback(error),
      );
    },
    ...options,
  });
  // Clients that fail on purpose (bad TLS, plain talk to a TLS port) make the server emit errors.
  server.on("error", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.server.address() as AddressInfo;
  const smtp: Smtp = {
    port,
    deliveries,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  cleanups.push(smtp.close);
  return smtp;
}

type EmailConfig = Extract<NotificationChannelConfig, { type: "email" }>;

function notifier(port: number, own: Partial<EmailConfig> = {}): EmailNotifier {
  return new EmailNotifier(
    channel("email", {
      name: "ops-mail",
      host: "127.0.0.1",
      port,
      secure: false,
      requireTLS: true,
      insecureTLS: true,
      auth: { user: USER, pass: PASS },
      from: "Tandem <tandem@example.com>",
      to: ["oncall@example.com", "lead@example.com"],
      timeout: 5000,
      ...own,
    }),
  );
}

const never = new AbortController().signal;

async function failure(promise: Promise<void>): Promise<NotificationError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(NotificationError);
  expect((error as NotificationError).code).toBe("TANDEM_ERR_NOTIFY_FAILED");
  expect(inspect(error, { depth: 5 })).not.toContain(PASS);
  return error as NotificationError;
}

describe("email notifier against a real SMTP server", () => {
  it("sends text and HTML over STARTTLS with AUTH PLAIN, with a Message-ID from the notification id", async () => {
    const smtp = await startSmtp();
    await notifier(smtp.port).send(notification(), never);

    expect(smtp.deliveries).toHaveLength(1);
    const { mail, secure, user, method, envelope } = smtp.deliveries[0]!;
    expect(secure).toBe(true);
    expect(user).toBe(USER);
    expect(method).toBe("PLAIN");
    expect(envelope).toEqual({ from: "tandem@example.com", to: ["oncall@example.com", "lead@example.com"] });

    expect(mail.subject).toBe("[Tandem] shop → production: release failed");
    expect(mail.from?.value).toEqual([{ address: "tandem@example.com", name: "Tandem" }]);
    const to = Array.isArray(mail.to) ? mail.to : [mail.to];
    expect(to.flatMap((address) => address?.value.map((entry) => entry.address))).toEqual([
      "oncall@example.com",
      "lead@example.com",
    ]);
    expect(mail.messageId).toBe("<ntf-1-rel-42-release.failed@tandem>");
    expect(mail.headers.get("x-tandem-release")).toBe("rel-42");

    expect(mail.text).toContain("Environment: production");
    expect(mail.text).toContain("api: 2.3.0 → 2.4.0 · rolled back · 0%");
    expect(mail.text).toContain("api: probe /health failed 3 times <script>alert(1)</script> & more");
    expect(mail.text).toContain("Open the release: https://tandem.example.com/releases/rel-42");

    const html = String(mail.html);
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt; &amp; more");
    expect(html).not.toContain("<script>");
    expect(html).toContain('<a href="https://tandem.example.com/releases/rel-42">Open the release</a>');
  });

  it("authenticates with AUTH LOGIN when the server offers only that", async () => {
    const smtp = await startSmtp({ authMethods: ["LOGIN"] });
    await notifier(smtp.port).send(notification(), never);
    expect(smtp.deliveries[0]).toMatchObject({ user: USER, method: "LOGIN", secure: true });
  });

  it("speaks TLS from the first byte with secure: true (port 465 style)", async () => {
    const smtp = await startSmtp({ secure: true });
    await notifier(smtp.port, { secure: true, requireTLS: false }).send(notification(), never);
    expect(smtp.deliveries[0]).toMatchObject({ secure: true, user: USER });
    // A plain client cannot talk to it.
    await failure(notifier(smtp.port, { secure: false, timeout: 1000 }).send(notification(), never));
    expect(smtp.deliveries).toHaveLength(1);
  });

  it("masks known secrets in what the email says", async () => {
    registerSecret("hook-token-424242", "HOOK_TOKEN");
    try {
      const smtp = await startSmtp();
      const leaky = notification({
        events: [event("hook.failed", { severity: "error", message: "curl -H hook-token-424242 failed" })],
      });
      await notifier(smtp.port).send(leaky, never);
      const { mail } = smtp.deliveries[0]!;
      expect(mail.text).toContain("curl -H *** failed");
      expect(`${mail.text} ${mail.html} ${mail.subject}`).not.toContain("hook-token-424242");
    } finally {
      clearSecrets();
    }
  });

  it("sends a retry with the same Message-ID, so it is recognisable", async () => {
    const smtp = await startSmtp();
    const mailer = notifier(smtp.port);
    const digest = notification({ id: "digest-7", events: manyEvents(3) });
    await mailer.send(digest, never);
    await mailer.send(digest, never);
    expect(smtp.deliveries.map((delivery) => delivery.mail.messageId)).toEqual([
      "<digest-7@tandem>",
      "<digest-7@tandem>",
    ]);
    expect(smtp.deliveries[0]!.mail.subject).toBe("[Tandem] shop → production: release failed (3 events)");
  });

  it("throws on a wrong password, without the password, and delivers nothing", async () => {
    const smtp = await startSmtp();
    const error = await failure(
      notifier(smtp.port, { auth: { user: USER, pass: "wrong-password-123" } }).send(notification(), never),
    );
    expect(error.message).toContain('notification channel "ops-mail"');
    expect(error.message).toContain("EAUTH");
    expect(error.message).not.toContain("wrong-password-123");
    expect(error.hint).toContain("auth.user");
    expect(smtp.deliveries).toHaveLength(0);
  });

  it("refuses the server's self-signed certificate unless insecureTLS", async () => {
    const smtp = await startSmtp();
    const error = await failure(notifier(smtp.port, { insecureTLS: false }).send(notification(), never));
    expect(error.message).toMatch(/certificate|ETLS|ESOCKET/i);
    expect(smtp.deliveries).toHaveLength(0);
  });

  it("with requireTLS, refuses a server that does not offer STARTTLS", async () => {
    const smtp = await startSmtp({ disabledCommands: ["STARTTLS"], allowInsecureAuth: true });
    await failure(notifier(smtp.port).send(notification(), never));
    expect(smtp.deliveries).toHaveLength(0);
    // Without requireTLS the same server gets the message, in the clear.
    await notifier(smtp.port, { requireTLS: false }).send(notification(), never);
    expect(smtp.deliveries.map((delivery) => delivery.secure)).toEqual([false]);
  });

  it("throws on a refused connection", async () => {
    const smtp = await startSmtp();
    const port = smtp.port;
    await smtp.close();
    const error = await failure(notifier(port).send(notification(), never));
    expect(error.message).toContain(`SMTP 127.0.0.1:${port}`);
  });
});

describe("email notifier against a server that never greets", () => {
  let connections = 0;

  async function silentServer(): Promise<number> {
    const sockets = new Set<Socket>();
    connections = 0;
    const server = createTcpServer((socket) => {
      sockets.add(socket);
      connections += 1;
      socket.on("close", () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          server.close(() => resolve());
        }),
    );
    return (server.address() as AddressInfo).port;
  }

  it("gives up after the channel's timeout", async () => {
    const port = await silentServer();
    const started = Date.now();
    const error = await failure(notifier(port, { timeout: 300 }).send(notification(), never));
    expect(error.message).toMatch(/no answer within 300ms|ETIMEDOUT/);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("stops when the caller's signal aborts", async () => {
    const port = await silentServer();
    const controller = new AbortController();
    const pending = failure(notifier(port, { timeout: 60_000 }).send(notification(), controller.signal));
    // Abort once connected, while the client waits for the greeting.
    const deadline = Date.now() + 5000;
    while (connections === 0 && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
    expect(connections).toBe(1);
    const started = Date.now();
    controller.abort();
    const error = await pending;
    expect(error.message).toContain("aborted");
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
