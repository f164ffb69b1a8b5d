// HTTP/1.x heads as the native data plane reads them: a line-for-line port of src/routers/builtin/http1.ts
// and field-names.ts (the same rules, the same limits), so that both paths accept and refuse the same bytes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace tandem {

/** Longest request or response head accepted (http1.ts MAX_HEAD_BYTES); longer heads get 431. */
constexpr size_t MAX_HEAD_BYTES = 16 * 1024;
constexpr int MAX_FIELDS = (MAX_HEAD_BYTES >> 2) + 2;

// Field name codes, as field-names.ts numbers them.
enum : uint8_t {
  F_OTHER = 0,
  F_CONNECTION = 1,
  F_KEEP_ALIVE = 2,
  F_TRANSFER_ENCODING = 3,
  F_UPGRADE = 4,
  F_EXPECT = 5,
  F_HOP_BY_HOP = 6,
  F_LAST_HOP_BY_HOP = 6,
  F_X_FORWARDED_FOR = 7,
  F_X_FORWARDED_PROTO = 8,
  F_X_FORWARDED_HOST = 9,
  F_DATE = 10,
  F_FIRST_ONLY = 16,
};
// headers.ts FIRST_ONLY_FIELDS order: "host" is index 7, "content-length" index 2.
constexpr uint8_t F_HOST = F_FIRST_ONLY + 7;
constexpr uint8_t F_CONTENT_LENGTH = F_FIRST_ONLY + 2;

struct Field {
  uint32_t nameStart, nameEnd, valueStart, valueEnd;
  uint8_t code;
};

struct HeadFields {
  Field fields[MAX_FIELDS];
  int count = 0;
  int connections = 0;
  int connection = -1;
};

struct RequestHead {
  HeadFields fields;
  size_t methodEnd = 0;
  size_t targetEnd = 0;
  uint64_t contentLength = 0;
  bool close = false;
  bool special = false;
};

struct ResponseHead {
  HeadFields fields;
  int status = 0;
  size_t reasonStart = 0, reasonEnd = 0;
  int64_t contentLength = -1;
  bool chunked = false;
  bool close = false;
  int64_t keepAliveMs = -1;
};

/** Where a head ends (index past its empty line), or -1 within MAX_HEAD_BYTES + 4 bytes from `from`. */
long headEnd(const uint8_t* b, size_t length, size_t from);
/** 0, or the status (400) to answer a malformed head with. `stop`: the head's end less its final CRLF. */
int parseRequestHead(const uint8_t* b, size_t stop, RequestHead& head);
bool parseResponseHead(const uint8_t* b, size_t from, size_t stop, ResponseHead& head);
uint8_t fieldName(const uint8_t* b, size_t start, size_t end);
bool containsLetters(const uint8_t* b, size_t start, size_t end, const char* lower);

/** Follows a chunked body's framing (http1.ts ChunkedScanner). */
class ChunkedScanner {
 public:
  void reset() {
    state = 0;
    size = 0;
    digits = 0;
    lineLength = 0;
  }
  /** Index just past the body's end, -1 when it goes on past `end`, -2 when malformed. */
  long scan(const uint8_t* b, size_t from, size_t end);

 private:
  void endOfSizeLine();
  int state = 0;
  uint64_t size = 0;
  int digits = 0;
  size_t lineLength = 0;
};

}  // namespace tandem
