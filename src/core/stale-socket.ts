/**
 * A kept-alive socket the server closed while it was idle fails as soon as it is reused (ECONNRESET,
 * EPIPE, "socket hang up") before any answer: that says nothing about the server, and the request may
 * be sent once more on a new connection. Shared by the http probe and the builtin router's admin client.
 */
export function isStaleSocketError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === "ECONNRESET" || code === "EPIPE" || (error as Error | null)?.message === "socket hang up";
}
