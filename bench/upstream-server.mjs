// The benchmark's anchor: a tiny keep-alive HTTP server on 127.0.0.1 answering 200 with a small JSON body.
// Usage: node bench/upstream-server.mjs VERSION. Prints {"port":N} on stdout once it listens.
import { createServer } from "node:http";

const version = process.argv[2] ?? "anchor";
const body = JSON.stringify({ version, ok: true });
const headers = { "content-type": "application/json", "content-length": Buffer.byteLength(body) };

const server = createServer((req, res) => {
  req.resume();
  res.writeHead(200, headers);
  res.end(body);
});
server.keepAliveTimeout = 30_000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on("SIGTERM", () => process.exit(0));
