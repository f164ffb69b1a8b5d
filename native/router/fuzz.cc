// Fuzzes the native head parsers and rewriters (http1.cc, rewrite.cc) under AddressSanitizer and UBSan:
// `npm run fuzz:native [-- ITERATIONS]`. LLVMFuzzerTestOneInput also works with libFuzzer (clang
// -fsanitize=fuzzer, without -DFUZZ_MAIN). Besides not crashing, every rewritten request head must parse again,
// as an HTTP/1.1 request the fast path takes, with the same method, target and body length.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "http1.h"
#include "rewrite.h"

using namespace tandem;

static RequestHead request;
static RequestHead again;
static ResponseHead response;

static long parsedRequests = 0, parsedResponses = 0;

static void fail(const char* why, const uint8_t* data, size_t size) {
  fprintf(stderr, "fuzz: %s for input of %zu bytes:\n", why, size);
  fwrite(data, 1, size, stderr);
  fprintf(stderr, "\n");
  abort();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  long end = headEnd(data, size, 0);
  if (end >= 0 && static_cast<size_t>(end) <= MAX_HEAD_BYTES) {
    if (parseRequestHead(data, end - 4, request) == 0) {
      parsedRequests++;
      std::string out;
      bool hostless = false;
      upstreamRequest(data, request, "127.0.0.1", out, hostless);
      if (hostless) out += "Host: 127.0.0.1:8080\r\n\r\n";
      const uint8_t* o = reinterpret_cast<const uint8_t*>(out.data());
      long outEnd = headEnd(o, out.size(), 0);
      if (outEnd != static_cast<long>(out.size()) && out.size() <= MAX_HEAD_BYTES)
        fail("rewritten request does not end where its head ends", data, size);
      if (outEnd > 0 && parseRequestHead(o, outEnd - 4, again) == 0) {
        if (again.special) fail("rewritten request is special", data, size);
        if (again.contentLength != request.contentLength) fail("rewritten request changed its length", data, size);
        if (again.targetEnd != request.targetEnd || memcmp(o, data, request.targetEnd) != 0)
          fail("rewritten request changed its request line", data, size);
      } else if (outEnd > 0) {
        fail("rewritten request does not parse", data, size);
      }
    }
    if (parseResponseHead(data, 0, end - 4, response)) {
      parsedResponses++;
      std::string out;
      clientResponse(data, response, "Date: x\r\n", "", "Connection: close\r\n\r\n", out);
      const uint8_t* o = reinterpret_cast<const uint8_t*>(out.data());
      long outEnd = headEnd(o, out.size(), 0);
      if (outEnd > 0 && !parseResponseHead(o, 0, outEnd - 4, response))
        fail("rewritten response does not parse", data, size);
    }
  }
  // Chunked framing, in two pieces split anywhere.
  ChunkedScanner scanner;
  size_t split = size == 0 ? 0 : data[0] % (size + 1);
  long first = scanner.scan(data, 0, split);
  if (first == -1) scanner.scan(data, split, size);
  return 0;
}

#ifdef FUZZ_MAIN
static uint64_t state = 88172645463325252ull;
static uint64_t next() {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}

int main(int argc, char** argv) {
  long iterations = argc > 1 ? atol(argv[1]) : 100000;
  const std::vector<std::string> pieces = {
      "GET ", "POST ", "/ ", "/a?b=c ", "HTTP/1.1", "HTTP/1.0", "HTTP/1.1 200 OK", "HTTP/1.0 204 ", "\r\n", "\n",
      "\r", "Host: x", "host:y", "Content-Length: 3", "content-length: 3", "Content-Length: 4",
      "Content-Length: 999999999999999", "Transfer-Encoding: chunked", "transfer-encoding: gzip, chunked",
      "Connection: close", "Connection: keep-alive", "Connection: x-a, host, Content-Type", "X-A: 1",
      "Keep-Alive: timeout=7", "Upgrade: h2c", "Expect: 100-continue", "X-Forwarded-For: 1.2.3.4",
      "X-Forwarded-For:", "X-Forwarded-Proto: https", "X-Forwarded-Host: h", "Date: d", "TE: trailers",
      ": ", " ", "\t", std::string("\0", 1), "\xff", "\x7f", "a", "5\r\nhello\r\n", "0\r\n\r\n", "ffffffffffffff",
      ";ext", "\r\n\r\n"};
  std::string input;
  for (long i = 0; i < iterations; i++) {
    input.clear();
    if (next() % 2 == 0) {
      // Structured: a request or response line, then fields, each mutated now and then.
      static const char* starts[] = {"GET / HTTP/1.1\r\n", "POST /p?q HTTP/1.1\r\n", "HEAD /x HTTP/1.0\r\n",
                                     "HTTP/1.1 200 OK\r\n", "HTTP/1.0 304 Not Modified\r\n"};
      static const char* fields[] = {"Host: a.b", "Content-Length: 3", "Content-Length: 03", "Transfer-Encoding: chunked",
                                     "Connection: close", "Connection: keep-alive", "Connection: x-a, Host, date",
                                     "X-A: 1", "x-a: 2", "Keep-Alive: timeout=9", "X-Forwarded-For: 1.2.3.4",
                                     "X-Forwarded-For:", "x-forwarded-proto: https", "X-Forwarded-Host: h",
                                     "Date: d", "TE: trailers", "Proxy-Connection: x", "Server: s", "Server: t",
                                     "Upgrade: ws", "Expect: 100-continue", "Trailer: x", "User-Agent: u"};
      input += starts[next() % 5];
      size_t count = next() % 12;
      for (size_t k = 0; k < count; k++) {
        input += fields[next() % (sizeof fields / sizeof fields[0])];
        input += "\r\n";
      }
      input += "\r\n";
      if (next() % 3 == 0) input[next() % input.size()] = static_cast<char>(next());
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
      continue;
    }
    size_t count = next() % 40;
    for (size_t k = 0; k < count; k++) {
      const std::string& piece = pieces[next() % pieces.size()];
      input += piece;
      if (next() % 8 == 0) input += "\r\n";
    }
    if (next() % 50 == 0) input += std::string(next() % 20000, 'a');
    // Random byte flips.
    size_t flips = input.empty() ? 0 : next() % 3;
    for (size_t k = 0; k < flips; k++) input[next() % input.size()] = static_cast<char>(next());
    if (next() % 2 == 0) input += "\r\n\r\n";
    // Truncated anywhere.
    if (!input.empty() && next() % 4 == 0) input.resize(next() % input.size());
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  }
  printf("fuzz: %ld inputs (%ld valid request heads, %ld valid response heads), no failure\n", iterations,
         parsedRequests, parsedResponses);
  return 0;
}
#endif
