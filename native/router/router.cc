// The builtin router's native data plane: what src/routers/builtin/fast-path.ts does (plain HTTP/1.1
// requests, no body or a small Content-Length body), on the router process's own libuv loop, with no JS per
// request. JS keeps the listener and gives each accepted socket's fd here; a connection with anything this
// path does not take is handed back to JS (fd and the bytes read so far) at a request boundary.
#include <node_api.h>
#include <uv.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "http1.h"
#include "rewrite.h"

namespace tandem {
namespace {

constexpr int KEEP_ALIVE_TICKS = 5;
constexpr int PARTIAL_HEAD_TICKS = 60;
constexpr size_t PIPELINE_LIMIT = 256 * 1024;
/** Bytes queued to a client beyond which its upstream is paused. */
constexpr size_t WRITE_HIGH = 64 * 1024;
constexpr int64_t IDLE_MS = 4000;
constexpr int64_t KEEP_ALIVE_HINT_MARGIN_MS = 1000;
constexpr int BUCKETS = 14;
const double LATENCY_BOUNDS_MS[BUCKETS - 1] = {1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};
const char* POOL_DESTROYED = "ERR_POOL_DESTROYED";

enum Framing { NO_BODY, LENGTH, CHUNKED, UNTIL_CLOSE };

char READ_BUFFER[64 * 1024];

double nowMs() { return static_cast<double>(uv_hrtime()) / 1e6; }

uint64_t rngState = 0x9E3779B97F4A7C15ull ^ static_cast<uint64_t>(time(nullptr));
double random01() {
  rngState ^= rngState << 13;
  rngState ^= rngState >> 7;
  rngState ^= rngState << 17;
  return static_cast<double>(rngState >> 11) / 9007199254740992.0;
}

struct Router;
struct Client;
struct Upstream;

struct Stats {
  double requests = 0, errors = 0, inFlight = 0;
  double counts[BUCKETS] = {};
  void record(int status, double latencyMs) {
    requests++;
    if (status >= 500) errors++;
    int bucket = 0;
    while (bucket < BUCKETS - 1 && latencyMs > LATENCY_BOUNDS_MS[bucket]) bucket++;
    counts[bucket]++;
  }
};

struct Endpoint {
  std::string id, host;
  int port;
  sockaddr_storage address;
  int inFlight = 0;
  bool removed = false;
  bool destroyed = false;
  Router* router;
  std::vector<Upstream*> free;
  std::vector<Upstream*> all;
  std::deque<Client*> waiting;
};

struct Backend {
  int slot;
  double weight, upTo;
  std::vector<std::shared_ptr<Endpoint>> endpoints;
  size_t cursor = 0;
};

struct Table {
  std::vector<Backend> backends;
  std::vector<Backend*> fallbackOrder;
  bool hasEndpoints = false;
};

struct Upstream {
  uv_tcp_t handle;
  uv_connect_t connect;
  std::shared_ptr<Endpoint> endpoint;
  Client* user = nullptr;
  int served = 0;
  bool connected = false;
  bool closing = false;
  double idleSince = 0;
  int64_t keepMs = IDLE_MS;
  int code = 0;
};

struct WriteRequest {
  uv_write_t req;
  std::string data;
};

struct Client {
  uv_tcp_t handle;
  Router* router;
  std::string in;
  bool busy = false, closeAfter = false, paused = false, dead = false, closing = false;
  bool handBackPending = false, shuttingDown = false;
  /** Responses queued to the client past WRITE_HIGH: the next request waits until they drain. */
  bool waitDrain = false;
  int idleTicks = 0;
  int pendingWrites = 0;
  std::string clientAddress;
  // The current request.
  std::string method;
  size_t requestEnd = 0;
  std::string upstreamHead;
  bool hostless = false;
  std::string body;
  double startedAt = 0;
  std::shared_ptr<Table> table;
  Backend* backend = nullptr;
  std::shared_ptr<Endpoint> endpoint;
  bool settled = true;
  int attempts = 0;
  std::vector<Endpoint*> tried;
  std::string lastFailure;
  Upstream* upstream = nullptr;
  bool reused = false;
  // Its response.
  std::string responseBuffer;
  bool headSent = false;
  int status = 0;
  Framing framing = NO_BODY;
  uint64_t remaining = 0;
  bool upstreamCloses = false;
  int64_t keepAliveMs = -1;
  ChunkedScanner scanner;
  bool upstreamPaused = false;
};

struct Router {
  napi_env env;
  napi_ref handBack = nullptr;
  napi_async_context context = nullptr;
  uv_loop_t* loop;
  /** Its own allocation: closed (and freed) by destroyAll, whatever becomes of the Router. */
  uv_timer_t* timer = nullptr;
  bool timerStarted = false;
  /** destroyAll ran: no connection is taken any more, and JS no longer holds the hand-back callback. */
  bool destroyed = false;
  int maxAttempts = 3;
  uint64_t replayableBodyLimit = 64 * 1024;
  int maxSockets = 256;
  bool closing = false;
  int active = 0;
  std::shared_ptr<Table> table = std::make_shared<Table>();
  std::unordered_map<std::string, std::shared_ptr<Endpoint>> live;
  std::unordered_set<std::shared_ptr<Endpoint>> draining;
  std::vector<Stats> stats;
  std::unordered_set<Client*> clients;
  std::string date, dateLine;
  // Counters for tests and the start log.
  double handedBack = 0;
};

// ---------------------------------------------------------------------------------------------------------
// Forward declarations.
void next(Client* c);
void dispatch(Client* c);
void finish(Client* c, int status);
void clientGone(Client* c);
void closeClient(Client* c);
void onUpstreamData(Client* c, const uint8_t* b, size_t n);
void onUpstreamClose(Client* c, const char* code, bool connected);
void onUpstream(Client* c, Upstream* u, bool reused);
void acquire(Endpoint* e, const std::shared_ptr<Endpoint>& self, Client* c);
void upstreamDestroy(Upstream* u);
void released(Router* r, const std::shared_ptr<Endpoint>& e);
void upstreamResume(Upstream* u);
void handBack(Client* c);
void clientResume(Client* c);
void endClient(Client* c);

void refreshDate(Router* r) {
  time_t t = time(nullptr);
  struct tm tm;
  gmtime_r(&t, &tm);
  char text[64];
  strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  r->date = text;
  r->dateLine = "Date: " + r->date + "\r\n";
}

const char* reasonOf(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 431: return "Request Header Fields Too Large";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "";
  }
}

// ---------------------------------------------------------------------------------------------------------
// Client writes.

void onClientWrite(uv_write_t* req, int status) {
  WriteRequest* w = reinterpret_cast<WriteRequest*>(req);
  Client* c = static_cast<Client*>(req->handle->data);
  delete w;
  c->pendingWrites--;
  if (c->closing) return;
  c->idleTicks = 0;  // the client is reading
  if (status < 0) { clientGone(c); return; }
  if (c->upstreamPaused && c->handle.write_queue_size < WRITE_HIGH) {
    c->upstreamPaused = false;
    if (c->upstream != nullptr) {
      upstreamResume(c->upstream);
    }
  }
  if (c->waitDrain && c->handle.write_queue_size < WRITE_HIGH) {
    c->waitDrain = false;
    if (c->paused) {
      c->paused = false;
      clientResume(c);
    }
    next(c);
    if (c->closing) return;
    if (!c->busy && c->closeAfter) {
      endClient(c);  // the client had ended its side: nothing more will come
      return;
    }
  }
  if (c->pendingWrites == 0 && c->handBackPending) {
    handBack(c);
  } else if (c->pendingWrites == 0 && c->shuttingDown) {
    closeClient(c);
  }
}

/** Writes to the client: what the socket takes now, the rest queued (copied). */
void clientWrite(Client* c, const char* data, size_t length) {
  if (c->closing || length == 0) return;
  size_t done = 0;
  if (c->pendingWrites == 0) {
    uv_buf_t buf = uv_buf_init(const_cast<char*>(data), length);
    int n = uv_try_write(reinterpret_cast<uv_stream_t*>(&c->handle), &buf, 1);
    if (n > 0) done = n;
    else if (n < 0 && n != UV_EAGAIN) return;  // the read side reports the broken connection
  }
  if (done == length) return;
  WriteRequest* w = new WriteRequest();
  w->data.assign(data + done, length - done);
  uv_buf_t buf = uv_buf_init(&w->data[0], w->data.size());
  if (uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&c->handle), &buf, 1, onClientWrite) < 0) {
    delete w;
    return;
  }
  c->pendingWrites++;
}

void onClientClosed(uv_handle_t* handle) {
  Client* c = static_cast<Client*>(handle->data);
  delete c;
}

void closeClient(Client* c) {
  if (c->closing) return;
  clientGone(c);
  c->closing = true;
  c->router->clients.erase(c);
  uv_close(reinterpret_cast<uv_handle_t*>(&c->handle), onClientClosed);
}

void onShutdown(uv_shutdown_t* req, int) {
  Client* c = static_cast<Client*>(req->data);
  delete req;
  closeClient(c);
}

/** Sends what is queued, then FIN, then closes (socket.end()). */
void endClient(Client* c) {
  if (c->closing || c->shuttingDown) return;
  c->shuttingDown = true;
  c->dead = true;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&c->handle));
  uv_shutdown_t* req = new uv_shutdown_t();
  req->data = c;
  if (uv_shutdown(req, reinterpret_cast<uv_stream_t*>(&c->handle), onShutdown) < 0) {
    delete req;
    closeClient(c);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Upstream connections.

void onUpstreamClosed(uv_handle_t* handle) { delete static_cast<Upstream*>(handle->data); }

template <typename T>
void removeFrom(std::vector<T>& list, T item) {
  auto at = std::find(list.begin(), list.end(), item);
  if (at != list.end()) list.erase(at);
}

/** The connection is gone: the pool forgets it, its user (if any) learns why. */
void upstreamGone(Upstream* u, int code) {
  if (u->closing) return;
  u->closing = true;
  if (u->code == 0) u->code = code;
  std::shared_ptr<Endpoint> e = u->endpoint;
  uv_close(reinterpret_cast<uv_handle_t*>(&u->handle), onUpstreamClosed);
  removeFrom(e->all, u);
  removeFrom(e->free, u);
  Client* user = u->user;
  u->user = nullptr;
  if (!e->destroyed && !e->waiting.empty()) {
    Client* next = e->waiting.front();
    e->waiting.pop_front();
    acquire(e.get(), e, next);
  }
  if (user != nullptr) onUpstreamClose(user, u->code != 0 ? uv_err_name(u->code) : nullptr, u->connected);
}

void upstreamDestroy(Upstream* u) { upstreamGone(u, 0); }

void upstreamAlloc(uv_handle_t*, size_t, uv_buf_t* buf) { *buf = uv_buf_init(READ_BUFFER, sizeof READ_BUFFER); }

void upstreamRead(uv_stream_t* stream, ssize_t n, const uv_buf_t*) {
  Upstream* u = static_cast<Upstream*>(stream->data);
  if (u->closing) return;
  if (n > 0) {
    if (u->user != nullptr)
      onUpstreamData(u->user, reinterpret_cast<const uint8_t*>(READ_BUFFER), static_cast<size_t>(n));
    else
      upstreamDestroy(u);  // bytes nobody asked for: out of step
    return;
  }
  if (n < 0) upstreamGone(u, n == UV_EOF ? 0 : static_cast<int>(n));
}

void upstreamResume(Upstream* u) {
  if (!u->closing) uv_read_start(reinterpret_cast<uv_stream_t*>(&u->handle), upstreamAlloc, upstreamRead);
}

void onUpstreamConnect(uv_connect_t* req, int status) {
  Upstream* u = static_cast<Upstream*>(req->data);
  if (u->closing) return;
  if (status < 0) { upstreamGone(u, status); return; }
  u->connected = true;
  uv_tcp_keepalive(&u->handle, 1, 1);
  uv_read_start(reinterpret_cast<uv_stream_t*>(&u->handle), upstreamAlloc, upstreamRead);
}

void onUpstreamWrite(uv_write_t* req, int status) {
  WriteRequest* w = reinterpret_cast<WriteRequest*>(req);
  Upstream* u = static_cast<Upstream*>(req->handle->data);
  delete w;
  if (status < 0 && status != UV_ECANCELED && !u->closing) upstreamGone(u, status);
}

void upstreamWrite(Upstream* u, std::string&& data) {
  size_t done = 0;
  if (u->connected && u->handle.write_queue_size == 0) {
    uv_buf_t buf = uv_buf_init(&data[0], data.size());
    int n = uv_try_write(reinterpret_cast<uv_stream_t*>(&u->handle), &buf, 1);
    if (n > 0) done = n;
  }
  if (done == data.size()) return;
  WriteRequest* w = new WriteRequest();
  w->data = done == 0 ? std::move(data) : data.substr(done);
  uv_buf_t buf = uv_buf_init(&w->data[0], w->data.size());
  int rc = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&u->handle), &buf, 1, onUpstreamWrite);
  if (rc < 0) {
    delete w;
    upstreamGone(u, rc);
  }
}

void poolIdle(Upstream* u) {
  std::shared_ptr<Endpoint> e = u->endpoint;
  if (e->destroyed) { upstreamDestroy(u); return; }
  if (!e->waiting.empty()) {
    Client* next = e->waiting.front();
    e->waiting.pop_front();
    u->user = next;
    onUpstream(next, u, true);
    return;
  }
  u->idleSince = nowMs();
  e->free.push_back(u);
}

void release(Upstream* u, bool reusable, int64_t hintMs) {
  u->user = nullptr;
  u->served++;
  if (!reusable) { upstreamDestroy(u); return; }
  u->keepMs = hintMs < 0 ? IDLE_MS : std::min(IDLE_MS, hintMs - KEEP_ALIVE_HINT_MARGIN_MS);
  if (u->keepMs <= 0) { upstreamDestroy(u); return; }
  poolIdle(u);
}

void acquire(Endpoint* e, const std::shared_ptr<Endpoint>& self, Client* c) {
  if (e->destroyed) { onUpstreamClose(c, POOL_DESTROYED, true); return; }
  double now = nowMs();
  while (!e->free.empty()) {
    Upstream* u = e->free.back();
    e->free.pop_back();
    if (now - u->idleSince > u->keepMs) {
      upstreamDestroy(u);
      continue;
    }
    u->user = c;
    onUpstream(c, u, true);
    return;
  }
  if (static_cast<int>(e->all.size()) >= e->router->maxSockets) {
    e->waiting.push_back(c);
    return;
  }
  Upstream* u = new Upstream();
  u->endpoint = self;
  uv_tcp_init(e->router->loop, &u->handle);
  u->handle.data = u;
  u->connect.data = u;
  uv_tcp_nodelay(&u->handle, 1);
  e->all.push_back(u);
  u->user = c;
  int rc = uv_tcp_connect(&u->connect, &u->handle, reinterpret_cast<const sockaddr*>(&e->address),
                          onUpstreamConnect);
  if (rc < 0) { upstreamGone(u, rc); return; }  // reported as a failed connect
  onUpstream(c, u, false);
}

void destroyPool(const std::shared_ptr<Endpoint>& e) {
  e->destroyed = true;
  std::deque<Client*> waiting;
  waiting.swap(e->waiting);
  for (Client* c : waiting) onUpstreamClose(c, POOL_DESTROYED, true);
  std::vector<Upstream*> all = e->all;
  for (Upstream* u : all) upstreamDestroy(u);
  e->free.clear();
}

void released(Router* r, const std::shared_ptr<Endpoint>& e) {
  e->inFlight--;
  if (e->removed && e->inFlight == 0) {
    std::shared_ptr<Endpoint> keep = e;
    r->draining.erase(keep);
    destroyPool(keep);
  }
}

void sweep(Router* r, double now) {
  auto sweepOne = [now](const std::shared_ptr<Endpoint>& e) {
    std::vector<Upstream*> free = e->free;
    for (Upstream* u : free)
      if (now - u->idleSince > u->keepMs) upstreamDestroy(u);
  };
  for (auto& entry : r->live) sweepOne(entry.second);
  std::vector<std::shared_ptr<Endpoint>> draining(r->draining.begin(), r->draining.end());
  for (auto& e : draining) sweepOne(e);
}

// ---------------------------------------------------------------------------------------------------------
// Endpoint choice (endpoints.ts chooseEndpoint).

bool excluded(const std::vector<Endpoint*>& tried, Endpoint* e) {
  return std::find(tried.begin(), tried.end(), e) != tried.end();
}

std::shared_ptr<Endpoint> pickEndpoint(Backend* b, const std::vector<Endpoint*>& tried) {
  size_t count = b->endpoints.size();
  if (count == 0) return nullptr;
  size_t start = b->cursor;
  b->cursor = start + 1 >= count ? 0 : start + 1;
  std::shared_ptr<Endpoint> best;
  for (size_t k = 0; k < count; k++) {
    size_t index = start + k;
    const std::shared_ptr<Endpoint>& e = b->endpoints[index >= count ? index - count : index];
    if (excluded(tried, e.get())) continue;
    if (!best || e->inFlight < best->inFlight) best = e;
  }
  return best;
}

Backend* pickBackend(Table* t) {
  if (t->backends.empty()) return nullptr;
  double roll = random01() * 100;
  for (Backend& b : t->backends)
    if (roll < b.upTo) return &b;
  return t->fallbackOrder.empty() ? nullptr : t->fallbackOrder[0];
}

bool choose(Table* t, Backend*& backend, std::shared_ptr<Endpoint>& endpoint, const std::vector<Endpoint*>& tried) {
  Backend* b = backend;
  if (b == nullptr) {
    b = pickBackend(t);
  } else {
    bool inTable = false;
    for (Backend& candidate : t->backends)
      if (&candidate == b) inTable = true;
    if (!inTable) {
      int slot = b->slot;
      b = nullptr;
      for (Backend& candidate : t->backends)
        if (candidate.slot == slot) {
          b = &candidate;
          break;
        }
    }
  }
  std::shared_ptr<Endpoint> e = b != nullptr ? pickEndpoint(b, tried) : nullptr;
  if (!e) {
    for (Backend* candidate : t->fallbackOrder) {
      if (candidate == b) continue;
      e = pickEndpoint(candidate, tried);
      if (e) {
        b = candidate;
        break;
      }
    }
  }
  if (b == nullptr || !e) return false;
  backend = b;
  endpoint = e;
  return true;
}

Stats& statsOf(Router* r, int slot) {
  if (slot >= static_cast<int>(r->stats.size())) r->stats.resize(slot + 1);
  return r->stats[slot];
}

// ---------------------------------------------------------------------------------------------------------
// Client connections.

void handBack(Client* c) {
  Router* r = c->router;
  c->handBackPending = false;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&c->handle));
  uv_os_fd_t fd;
  int dupped = -1;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(&c->handle), &fd) == 0) dupped = dup(fd);
  std::string bytes;
  bytes.swap(c->in);
  c->dead = true;
  closeClient(c);
  if (dupped < 0) return;
  if (r->handBack == nullptr) {
    close(dupped);
    return;
  }
  r->handedBack++;
  napi_env env = r->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value callback, global, args[2], result;
  napi_get_reference_value(env, r->handBack, &callback);
  napi_get_global(env, &global);
  napi_create_int32(env, dupped, &args[0]);
  void* data;
  napi_create_buffer_copy(env, bytes.size(), bytes.data(), &data, &args[1]);
  if (napi_make_callback(env, r->context, global, callback, 2, args, &result) != napi_ok) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) {
      napi_value error;
      napi_get_and_clear_last_exception(env, &error);
      napi_fatal_exception(env, error);
    }
  }
  napi_close_handle_scope(env, scope);
}

/** Gives the connection, with its unread bytes, to JS (once what was written to it went out). */
void requestHandBack(Client* c) {
  c->dead = true;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&c->handle));
  if (c->pendingWrites > 0) {
    c->handBackPending = true;
    return;
  }
  handBack(c);
}

void reject(Client* c, int status) {
  c->dead = true;
  c->in.clear();
  char text[160];
  int n = snprintf(text, sizeof text, "HTTP/1.1 %d %s\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", status,
                   reasonOf(status));
  clientWrite(c, text, n);
  endClient(c);
}

void next(Client* c) {
  if (c->dead || c->closing || c->waitDrain || c->in.empty()) return;
  Router* r = c->router;
  size_t start = 0;
  while (start < c->in.size() && (c->in[start] == '\r' || c->in[start] == '\n')) start++;
  if (start > 0) c->in.erase(0, start);
  if (c->in.empty()) return;
  const uint8_t* b = reinterpret_cast<const uint8_t*>(c->in.data());
  long end = headEnd(b, c->in.size(), 0);
  if (end < 0) {
    if (c->in.size() > MAX_HEAD_BYTES) reject(c, 431);
    return;
  }
  if (static_cast<size_t>(end) > MAX_HEAD_BYTES) { reject(c, 431); return; }
  static RequestHead head;
  int malformed = parseRequestHead(b, end - 4, head);
  if (malformed != 0) { reject(c, malformed); return; }
  if (head.special || head.contentLength > r->replayableBodyLimit || !r->table->hasEndpoints)
    { requestHandBack(c); return; }
  size_t requestEnd = end + head.contentLength;
  if (c->in.size() < requestEnd) return;
  c->method.assign(c->in.data(), head.methodEnd);
  c->requestEnd = requestEnd;
  if (head.close) c->closeAfter = true;
  c->busy = true;
  r->active++;
  c->startedAt = nowMs();
  c->table.reset();
  c->backend = nullptr;
  c->endpoint.reset();
  c->attempts = 0;
  c->tried.clear();
  c->lastFailure.clear();
  c->headSent = false;
  c->responseBuffer.clear();
  if (c->clientAddress.empty()) {
    sockaddr_storage peer;
    int length = sizeof peer;
    char name[64] = "unknown";
    if (uv_tcp_getpeername(&c->handle, reinterpret_cast<sockaddr*>(&peer), &length) == 0) {
      if (peer.ss_family == AF_INET6)
        uv_ip6_name(reinterpret_cast<sockaddr_in6*>(&peer), name, sizeof name);
      else
        uv_ip4_name(reinterpret_cast<sockaddr_in*>(&peer), name, sizeof name);
    }
    c->clientAddress = name;
  }
  c->upstreamHead.clear();
  upstreamRequest(b, head, c->clientAddress, c->upstreamHead, c->hostless);
  c->body.assign(c->in.data() + end, head.contentLength);
  dispatch(c);
}

void respondError(Client* c, int status, const std::string& message) {
  Router* r = c->router;
  if (r->closing) c->closeAfter = true;
  std::string text = "HTTP/1.1 " + std::to_string(status) + " " + reasonOf(status) +
                     "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " +
                     std::to_string(message.size()) + "\r\nDate: " + r->date + "\r\nConnection: " +
                     (c->closeAfter ? "close" : "keep-alive\r\nKeep-Alive: timeout=5") + "\r\n\r\n";
  if (c->method != "HEAD") text += message;
  clientWrite(c, text.data(), text.size());
  c->headSent = true;
  finish(c, status);
}

void dispatch(Client* c) {
  Router* r = c->router;
  std::shared_ptr<Table> table = r->table;
  Backend* backend = c->backend;
  std::shared_ptr<Endpoint> endpoint;
  if (!choose(table.get(), backend, endpoint, c->tried)) {
    if (table->hasEndpoints)
      { respondError(c, 502, "no endpoint could take the request: " + c->lastFailure + "\n"); return; }
    // No endpoint any more: JS holds the request until one comes.
    c->busy = false;
    r->active--;
    { requestHandBack(c); return; }
  }
  c->attempts++;
  c->table = table;
  c->backend = backend;
  c->endpoint = endpoint;
  c->settled = false;
  endpoint->inFlight++;
  statsOf(r, backend->slot).inFlight++;
  acquire(endpoint.get(), endpoint, c);
}

void onUpstream(Client* c, Upstream* u, bool reused) {
  c->upstream = u;
  c->reused = reused;
  std::string request;
  request.reserve(c->upstreamHead.size() + c->body.size() + 64);
  request += c->upstreamHead;
  if (c->hostless) {
    request += "Host: ";
    request += hostHeader(c->endpoint->host, c->endpoint->port);
    request += "\r\n\r\n";
  }
  request += c->body;
  upstreamWrite(u, std::move(request));
}

void settle(Client* c) {
  if (c->settled) return;
  c->settled = true;
  Router* r = c->router;
  statsOf(r, c->backend->slot).inFlight--;
  released(r, c->endpoint);
}

/** Where this response's body ends in b[from..n): past it, -1 when it goes on, -2 when malformed. */
long bodyEnd(Client* c, const uint8_t* b, size_t from, size_t n) {
  switch (c->framing) {
    case NO_BODY:
      return static_cast<long>(from);
    case LENGTH: {
      size_t available = n - from;
      if (available >= c->remaining) {
        long end = static_cast<long>(from + c->remaining);
        c->remaining = 0;
        return end;
      }
      c->remaining -= available;
      return -1;
    }
    case CHUNKED:
      return c->scanner.scan(b, from, n);
    default:
      return -1;
  }
}

void complete(Client* c, bool extra) {
  Upstream* u = c->upstream;
  c->upstream = nullptr;
  if (c->upstreamPaused) {
    c->upstreamPaused = false;
    upstreamResume(u);
  }
  // Detached before settling: settling can retire the endpoint and close its pool, this socket included.
  u->user = nullptr;
  settle(c);
  if (!u->closing) release(u, !c->upstreamCloses && !extra, c->keepAliveMs);
  finish(c, c->status);
}

/** After writing: `end` is where the response ended in the upstream's bytes (-1: not yet). */
void afterSend(Client* c, long end, size_t n) {
  if (c->closing) return;
  if (end >= 0) { complete(c, static_cast<size_t>(end) < n); return; }
  if (!c->upstreamPaused && c->handle.write_queue_size >= WRITE_HIGH && c->upstream != nullptr) {
    c->upstreamPaused = true;
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&c->upstream->handle));
  }
}

void upstreamBroken(Client* c, const char* why) {
  Upstream* u = c->upstream;
  c->upstream = nullptr;
  if (u != nullptr) {
    u->user = nullptr;
    upstreamDestroy(u);
  }
  settle(c);
  if (c->headSent) {
    c->dead = true;  // no further request starts on a connection about to close
    finish(c, 502);
    closeClient(c);
  } else {
    respondError(c, 502, "upstream " + c->endpoint->id + " failed: " + why + "\n");
  }
}

void respond(Client* c, const ResponseHead& head, const uint8_t* b, size_t bodyStart, size_t n) {
  Router* r = c->router;
  c->status = head.status;
  c->upstreamCloses = head.close;
  c->keepAliveMs = head.keepAliveMs;
  const char* framingLine = "";
  if (c->method == "HEAD" || head.status == 204 || head.status == 304) {
    c->framing = NO_BODY;
  } else if (head.chunked) {
    c->framing = CHUNKED;
    c->scanner.reset();
    framingLine = "Transfer-Encoding: chunked\r\n";
  } else if (head.contentLength >= 0) {
    c->framing = LENGTH;
    c->remaining = head.contentLength;
  } else {
    c->framing = UNTIL_CLOSE;
    c->upstreamCloses = true;
    c->closeAfter = true;
  }
  if (r->closing) c->closeAfter = true;
  const char* connectionLines =
      c->closeAfter ? "Connection: close\r\n\r\n" : "Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n";
  c->headSent = true;
  long end = bodyEnd(c, b, bodyStart, n);
  if (end == -2) { upstreamBroken(c, "malformed chunked body"); return; }
  size_t stop = end < 0 ? n : static_cast<size_t>(end);
  std::string out;
  out.reserve(512 + (stop - bodyStart));
  clientResponse(b, head, r->dateLine, framingLine, connectionLines, out);
  out.append(reinterpret_cast<const char*>(b) + bodyStart, stop - bodyStart);
  clientWrite(c, out.data(), out.size());
  afterSend(c, end, n);
}

void onUpstreamData(Client* c, const uint8_t* chunk, size_t n) {
  if (c->headSent) {
    long end = bodyEnd(c, chunk, 0, n);
    if (end == -2) { upstreamBroken(c, "malformed chunked body"); return; }
    size_t stop = end < 0 ? n : static_cast<size_t>(end);
    clientWrite(c, reinterpret_cast<const char*>(chunk), stop);
    { afterSend(c, end, n); return; }
  }
  std::string joined;
  const uint8_t* b = chunk;
  size_t length = n;
  if (!c->responseBuffer.empty()) {
    joined.swap(c->responseBuffer);
    joined.append(reinterpret_cast<const char*>(chunk), n);
    b = reinterpret_cast<const uint8_t*>(joined.data());
    length = joined.size();
  }
  size_t start = 0;
  static ResponseHead head;
  for (;;) {
    long end = headEnd(b, length, start);
    if (end < 0) {
      if (length - start > MAX_HEAD_BYTES) { upstreamBroken(c, "response head too large"); return; }
      c->responseBuffer.assign(reinterpret_cast<const char*>(b) + start, length - start);
      return;
    }
    if (!parseResponseHead(b, start, end - 4, head)) { upstreamBroken(c, "malformed response head"); return; }
    if (head.status >= 200) { respond(c, head, b, end, length); return; }
    if (static_cast<size_t>(end) == length) return;
    start = end;
  }
}

bool inSet(const char* code, std::initializer_list<const char*> set) {
  for (const char* item : set)
    if (strcmp(code, item) == 0) return true;
  return false;
}

bool mayRetry(Client* c, const char* code, bool connected) {
  if (c->attempts >= c->router->maxAttempts) return false;
  if (!connected && inSet(code, {"ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL", "ENOTFOUND",
                                 "EAI_AGAIN", "UND_ERR_CONNECT_TIMEOUT"}))
    return true;
  if (!inSet(code, {"ECONNRESET", "EPIPE", "UND_ERR_SOCKET"})) return false;
  return c->reused || inSet(c->method.c_str(), {"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"});
}

void onUpstreamClose(Client* c, const char* code, bool connected) {
  c->upstream = nullptr;
  settle(c);
  if (!c->busy) return;
  if (c->headSent) {
    if (c->framing == UNTIL_CLOSE && code == nullptr) { finish(c, c->status); return; }
    // Cut in the middle of the body: the client sees its connection close too.
    c->dead = true;
    finish(c, 502);
    closeClient(c);
    return;
  }
  std::string failure = code != nullptr ? code : "ECONNRESET";
  std::shared_ptr<Endpoint> endpoint = c->endpoint;
  if (mayRetry(c, failure.c_str(), connected)) {
    c->lastFailure = "upstream " + endpoint->id + " failed: " + failure;
    c->tried.push_back(endpoint.get());
    dispatch(c);
  } else {
    respondError(c, 502, "upstream " + endpoint->id + " failed: " + failure + "\n");
  }
}

void finish(Client* c, int status) {
  Router* r = c->router;
  if (c->backend != nullptr) statsOf(r, c->backend->slot).record(status, nowMs() - c->startedAt);
  c->busy = false;
  c->method.clear();
  c->upstreamPaused = false;
  c->backend = nullptr;
  c->table.reset();
  c->endpoint.reset();
  r->active--;
  if (c->requestEnd >= c->in.size())
    c->in.clear();
  else
    c->in.erase(0, c->requestEnd);
  c->requestEnd = 0;
  if (c->closing) return;
  if (c->paused) {
    c->paused = false;
    clientResume(c);
  }
  if (c->closeAfter || r->closing) { endClient(c); return; }
  // A client that does not read its responses gets no more of them until it does.
  if (c->handle.write_queue_size >= WRITE_HIGH) {
    c->waitDrain = true;
    return;
  }
  next(c);
}

/** The client's connection is gone: a request in flight is abandoned (499, or 502 once its response began). */
void clientGone(Client* c) {
  if (c->closing) return;
  c->dead = true;
  if (!c->busy) return;
  Upstream* u = c->upstream;
  c->upstream = nullptr;
  if (u != nullptr) {
    u->user = nullptr;
    upstreamDestroy(u);
  } else if (!c->settled) {
    auto& waiting = c->endpoint->waiting;
    auto at = std::find(waiting.begin(), waiting.end(), c);
    if (at != waiting.end()) waiting.erase(at);
  }
  settle(c);
  c->in.clear();
  c->closing = true;  // finish() must not go on to another request
  finish(c, c->headSent ? 502 : 499);
  c->closing = false;
}

void clientAlloc(uv_handle_t*, size_t, uv_buf_t* buf) { *buf = uv_buf_init(READ_BUFFER, sizeof READ_BUFFER); }

void clientRead(uv_stream_t* stream, ssize_t n, const uv_buf_t*) {
  Client* c = static_cast<Client*>(stream->data);
  if (c->closing) return;
  if (n > 0) {
    c->idleTicks = 0;
    if (c->dead) return;
    c->in.append(READ_BUFFER, n);
    if (!c->busy && !c->waitDrain)
      next(c);
    else if (c->in.size() > PIPELINE_LIMIT && !c->paused) {
      c->paused = true;
      uv_read_stop(stream);
    }
    return;
  }
  if (n == UV_EOF) {
    // The client sent all it will: answer what is in flight, then close.
    uv_read_stop(stream);
    if (c->busy || c->waitDrain)
      c->closeAfter = true;
    else if (c->pendingWrites > 0)
      endClient(c);  // what was written still goes out
    else if (!c->shuttingDown)
      closeClient(c);
    return;
  }
  if (n < 0) closeClient(c);
}

void clientResume(Client* c) {
  if (!c->closing && !c->dead) uv_read_start(reinterpret_cast<uv_stream_t*>(&c->handle), clientAlloc, clientRead);
}

void tick(uv_timer_t* timer) {
  Router* r = static_cast<Router*>(timer->data);
  refreshDate(r);
  std::vector<Client*> clients(r->clients.begin(), r->clients.end());
  for (Client* c : clients) {
    if (c->busy || c->closing || c->shuttingDown) continue;
    c->idleTicks++;
    if (c->idleTicks >= (c->in.empty() ? KEEP_ALIVE_TICKS : PARTIAL_HEAD_TICKS)) closeClient(c);
  }
  sweep(r, nowMs());
}

// ---------------------------------------------------------------------------------------------------------
// Node-API surface.

Router* routerOf(napi_env env, napi_value value) {
  void* data = nullptr;
  napi_get_value_external(env, value, &data);
  return static_cast<Router*>(data);
}

napi_value number(napi_env env, double value) {
  napi_value result;
  napi_create_double(env, value, &result);
  return result;
}

std::string stringOf(napi_env env, napi_value value) {
  size_t length = 0;
  napi_get_value_string_utf8(env, value, nullptr, 0, &length);
  std::string text(length, '\0');
  napi_get_value_string_utf8(env, value, &text[0], length + 1, &length);
  return text;
}

double doubleOf(napi_env env, napi_value value) {
  double result = 0;
  napi_get_value_double(env, value, &result);
  return result;
}

napi_value get(napi_env env, napi_value object, const char* name) {
  napi_value value;
  napi_get_named_property(env, object, name, &value);
  return value;
}

napi_value element(napi_env env, napi_value array, uint32_t index) {
  napi_value value;
  napi_get_element(env, array, index, &value);
  return value;
}

uint32_t lengthOf(napi_env env, napi_value array) {
  uint32_t length = 0;
  napi_get_array_length(env, array, &length);
  return length;
}

#define ARGS(n)              \
  size_t argc = n;           \
  napi_value argv[n];        \
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr)

/**
 * The JS object went away: after destroyAll (before it, the hand-back callback's closure keeps the proxy and
 * so this object alive); what is still closing refers to no Router.
 */
void FinalizeRouter(napi_env env, void* data, void*) {
  Router* r = static_cast<Router*>(data);
  if (!r->destroyed) return;  // still serving: kept (cannot happen while JS holds the callback)
  if (r->context != nullptr) napi_async_destroy(env, r->context);
  delete r;
}

/** create(handBack, maxAttempts, replayableBodyLimit, maxSockets) */
napi_value Create(napi_env env, napi_callback_info info) {
  ARGS(4);
  Router* r = new Router();
  r->env = env;
  napi_create_reference(env, argv[0], 1, &r->handBack);
  napi_value name;
  napi_create_string_utf8(env, "tandem-native-router", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, nullptr, name, &r->context);
  r->maxAttempts = static_cast<int>(doubleOf(env, argv[1]));
  r->replayableBodyLimit = static_cast<uint64_t>(doubleOf(env, argv[2]));
  r->maxSockets = static_cast<int>(doubleOf(env, argv[3]));
  napi_get_uv_event_loop(env, &r->loop);
  refreshDate(r);
  r->timer = new uv_timer_t();
  uv_timer_init(r->loop, r->timer);
  r->timer->data = r;
  napi_value external;
  napi_create_external(env, r, FinalizeRouter, nullptr, &external);
  return external;
}

/** adopt(router, fd): takes a duplicate of an accepted connection's fd; false when it cannot. */
napi_value Adopt(napi_env env, napi_callback_info info) {
  ARGS(2);
  Router* r = routerOf(env, argv[0]);
  int fd = -1;
  napi_get_value_int32(env, argv[1], &fd);
  napi_value result;
  if (r->destroyed) {
    napi_get_boolean(env, false, &result);
    return result;
  }
  int copy = dup(fd);
  if (copy < 0) {
    napi_get_boolean(env, false, &result);
    return result;
  }
  Client* c = new Client();
  c->router = r;
  uv_tcp_init(r->loop, &c->handle);
  c->handle.data = c;
  if (uv_tcp_open(&c->handle, copy) < 0) {
    close(copy);
    c->closing = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&c->handle), onClientClosed);
    napi_get_boolean(env, false, &result);
    return result;
  }
  uv_tcp_nodelay(&c->handle, 1);
  r->clients.insert(c);
  if (!r->timerStarted) {
    r->timerStarted = true;
    uv_timer_start(r->timer, tick, 1000, 1000);
    uv_unref(reinterpret_cast<uv_handle_t*>(r->timer));
  }
  uv_read_start(reinterpret_cast<uv_stream_t*>(&c->handle), clientAlloc, clientRead);
  napi_get_boolean(env, true, &result);
  return result;
}

bool addressOf(const std::string& host, int port, sockaddr_storage& out) {
  memset(&out, 0, sizeof out);
  std::string name = host;
  if (name.size() > 2 && name.front() == '[' && name.back() == ']') name = name.substr(1, name.size() - 2);
  if (uv_ip4_addr(name.c_str(), port, reinterpret_cast<sockaddr_in*>(&out)) == 0) return true;
  return uv_ip6_addr(name.c_str(), port, reinterpret_cast<sockaddr_in6*>(&out)) == 0;
}

/**
 * setRoutes(router, backends: [{slot, weight, endpoints: [[id, host, port]...]}]): every host an IP literal
 * (JS checks). Endpoints keep their state (pool, in-flight count) across tables, as endpoints.ts does.
 */
napi_value SetRoutes(napi_env env, napi_callback_info info) {
  ARGS(2);
  Router* r = routerOf(env, argv[0]);
  auto table = std::make_shared<Table>();
  std::unordered_map<std::string, std::shared_ptr<Endpoint>> nextLive;
  uint32_t count = lengthOf(env, argv[1]);
  table->backends.resize(count);
  double upTo = 0;
  for (uint32_t i = 0; i < count; i++) {
    napi_value source = element(env, argv[1], i);
    Backend& b = table->backends[i];
    b.slot = static_cast<int>(doubleOf(env, get(env, source, "slot")));
    b.weight = doubleOf(env, get(env, source, "weight"));
    upTo += b.weight;
    b.upTo = upTo;
    statsOf(r, b.slot);
    napi_value endpoints = get(env, source, "endpoints");
    uint32_t n = lengthOf(env, endpoints);
    for (uint32_t k = 0; k < n; k++) {
      napi_value e = element(env, endpoints, k);
      std::string id = stringOf(env, element(env, e, 0));
      std::string host = stringOf(env, element(env, e, 1));
      int port = static_cast<int>(doubleOf(env, element(env, e, 2)));
      std::shared_ptr<Endpoint> state;
      auto current = r->live.find(id);
      if (current != r->live.end() && current->second->host == host && current->second->port == port)
        state = current->second;
      if (!state) {
        for (auto& d : r->draining)
          if (d->id == id && d->host == host && d->port == port) {
            state = d;
            break;
          }
        if (state) {
          r->draining.erase(state);
          state->removed = false;
        }
      }
      if (!state) {
        state = std::make_shared<Endpoint>();
        state->id = id;
        state->host = host;
        state->port = port;
        state->router = r;
        addressOf(host, port, state->address);
      }
      nextLive[id] = state;
      b.endpoints.push_back(state);
    }
    if (n > 0) table->hasEndpoints = true;
  }
  for (auto& entry : r->live) {
    auto kept = nextLive.find(entry.first);
    if (kept != nextLive.end() && kept->second == entry.second) continue;
    std::shared_ptr<Endpoint> state = entry.second;
    state->removed = true;
    if (state->inFlight == 0)
      destroyPool(state);
    else
      r->draining.insert(state);
  }
  r->live = std::move(nextLive);
  for (Backend& b : table->backends)
    if (b.weight > 0) table->fallbackOrder.push_back(&b);
  std::stable_sort(table->fallbackOrder.begin(), table->fallbackOrder.end(),
                   [](Backend* a, Backend* b) { return a->weight > b->weight; });
  for (Backend& b : table->backends)
    if (b.weight == 0) table->fallbackOrder.push_back(&b);
  r->table = table;
  return nullptr;
}

/** stats(router): Float64Array, per slot [requests, errors, inFlight, counts...]. */
napi_value GetStats(napi_env env, napi_callback_info info) {
  ARGS(1);
  Router* r = routerOf(env, argv[0]);
  size_t per = 3 + BUCKETS;
  size_t length = r->stats.size() * per;
  void* data;
  napi_value buffer, array;
  napi_create_arraybuffer(env, length * sizeof(double), &data, &buffer);
  double* out = static_cast<double*>(data);
  for (size_t s = 0; s < r->stats.size(); s++) {
    const Stats& st = r->stats[s];
    out[s * per] = st.requests;
    out[s * per + 1] = st.errors;
    out[s * per + 2] = st.inFlight;
    for (int k = 0; k < BUCKETS; k++) out[s * per + 3 + k] = st.counts[k];
  }
  napi_create_typedarray(env, napi_float64_array, length, buffer, 0, &array);
  return array;
}

napi_value InFlight(napi_env env, napi_callback_info info) {
  ARGS(2);
  Router* r = routerOf(env, argv[0]);
  std::string id = stringOf(env, argv[1]);
  double total = 0;
  auto live = r->live.find(id);
  if (live != r->live.end()) total += live->second->inFlight;
  for (auto& d : r->draining)
    if (d->id == id) total += d->inFlight;
  return number(env, total);
}

/** info(router): [active requests, connections, handed back]. */
napi_value Info(napi_env env, napi_callback_info info) {
  ARGS(1);
  Router* r = routerOf(env, argv[0]);
  napi_value array;
  napi_create_array_with_length(env, 3, &array);
  napi_set_element(env, array, 0, number(env, r->active));
  napi_set_element(env, array, 1, number(env, static_cast<double>(r->clients.size())));
  napi_set_element(env, array, 2, number(env, r->handedBack));
  return array;
}

napi_value SetClosing(napi_env env, napi_callback_info info) {
  ARGS(1);
  routerOf(env, argv[0])->closing = true;
  return nullptr;
}

napi_value CloseIdle(napi_env env, napi_callback_info info) {
  ARGS(1);
  Router* r = routerOf(env, argv[0]);
  std::vector<Client*> clients(r->clients.begin(), r->clients.end());
  for (Client* c : clients)
    if (!c->busy && !c->closing) closeClient(c);
  return nullptr;
}

/** destroyAll(router): every client connection, then every upstream pool. */
napi_value DestroyAll(napi_env env, napi_callback_info info) {
  ARGS(1);
  Router* r = routerOf(env, argv[0]);
  std::vector<Client*> clients(r->clients.begin(), r->clients.end());
  for (Client* c : clients)
    if (!c->closing) closeClient(c);
  for (auto& entry : r->live) destroyPool(entry.second);
  std::vector<std::shared_ptr<Endpoint>> draining(r->draining.begin(), r->draining.end());
  for (auto& e : draining) destroyPool(e);
  r->live.clear();
  r->draining.clear();
  if (!r->destroyed) {
    r->destroyed = true;
    r->timerStarted = false;
    uv_close(reinterpret_cast<uv_handle_t*>(r->timer), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    r->timer = nullptr;
    // The callback's closure holds the proxy: released so that the proxy, and this Router, can be collected.
    napi_delete_reference(env, r->handBack);
    r->handBack = nullptr;
  }
  return nullptr;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"create", nullptr, Create, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adopt", nullptr, Adopt, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setRoutes", nullptr, SetRoutes, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"stats", nullptr, GetStats, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"inFlight", nullptr, InFlight, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setClosing", nullptr, SetClosing, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"closeIdle", nullptr, CloseIdle, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"destroyAll", nullptr, DestroyAll, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
  return exports;
}

}  // namespace
}  // namespace tandem

NAPI_MODULE(NODE_GYP_MODULE_NAME, tandem::Init)
