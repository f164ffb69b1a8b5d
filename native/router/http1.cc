#include "http1.h"

#include <algorithm>

namespace tandem {

namespace {

struct Classes {
  uint8_t token[256] = {};
  uint8_t value[256] = {};
  uint8_t target[256] = {};
  Classes() {
    const char* tokens = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    for (const char* c = tokens; *c; c++) token[static_cast<uint8_t>(*c)] = 1;
    value[0x09] = 1;
    for (int c = 0x20; c < 0x7f; c++) value[c] = 1;
    for (int c = 0x80; c < 0x100; c++) value[c] = 1;
    for (int c = 0x21; c < 0x7f; c++) target[c] = 1;
    for (int c = 0x80; c < 0x100; c++) target[c] = 1;
  }
};
const Classes CLASSES;

struct Known {
  const char* name;
  uint8_t code;
};
// headers.ts HOP_BY_HOP_FIELDS, the X-Forwarded-* and Date, then FIRST_ONLY_FIELDS in their order.
const Known KNOWN[] = {
    {"connection", F_CONNECTION},
    {"keep-alive", F_KEEP_ALIVE},
    {"proxy-authenticate", F_HOP_BY_HOP},
    {"proxy-authorization", F_HOP_BY_HOP},
    {"proxy-connection", F_HOP_BY_HOP},
    {"te", F_HOP_BY_HOP},
    {"trailer", F_HOP_BY_HOP},
    {"transfer-encoding", F_TRANSFER_ENCODING},
    {"upgrade", F_UPGRADE},
    {"expect", F_EXPECT},
    {"x-forwarded-for", F_X_FORWARDED_FOR},
    {"x-forwarded-proto", F_X_FORWARDED_PROTO},
    {"x-forwarded-host", F_X_FORWARDED_HOST},
    {"date", F_DATE},
    {"age", F_FIRST_ONLY + 0},
    {"authorization", F_FIRST_ONLY + 1},
    {"content-length", F_FIRST_ONLY + 2},
    {"content-type", F_FIRST_ONLY + 3},
    {"etag", F_FIRST_ONLY + 4},
    {"expires", F_FIRST_ONLY + 5},
    {"from", F_FIRST_ONLY + 6},
    {"host", F_FIRST_ONLY + 7},
    {"if-modified-since", F_FIRST_ONLY + 8},
    {"if-unmodified-since", F_FIRST_ONLY + 9},
    {"last-modified", F_FIRST_ONLY + 10},
    {"location", F_FIRST_ONLY + 11},
    {"max-forwards", F_FIRST_ONLY + 12},
    {"referer", F_FIRST_ONLY + 13},
    {"retry-after", F_FIRST_ONLY + 14},
    {"server", F_FIRST_ONLY + 15},
    {"user-agent", F_FIRST_ONLY + 16},
};

inline uint8_t lower(uint8_t c) { return (c >= 'A' && c <= 'Z') ? c | 0x20 : c; }

bool bytesEqual(const uint8_t* b, size_t start, size_t end, const char* expected) {
  size_t n = strlen(expected);
  return end - start == n && memcmp(b + start, expected, n) == 0;
}

/** A Content-Length value: 1 to 15 digits; -1 when it is not one. */
int64_t lengthValue(const uint8_t* b, size_t start, size_t end) {
  if (end <= start || end - start > 15) return -1;
  int64_t value = 0;
  for (size_t i = start; i < end; i++) {
    int digit = static_cast<int>(b[i]) - 0x30;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

bool readFields(const uint8_t* b, size_t from, size_t stop, HeadFields& fields) {
  int count = 0, connections = 0, connection = -1;
  size_t i = from;
  while (i < stop) {
    size_t nameStart = i;
    while (i < stop && CLASSES.token[b[i]]) i++;
    if (i == nameStart || i == stop || b[i] != 0x3a || count == MAX_FIELDS) return false;
    size_t nameEnd = i;
    i++;
    while (i < stop && (b[i] == 0x20 || b[i] == 0x09)) i++;
    size_t valueStart = i, valueEnd = i;
    while (i < stop) {
      uint8_t c = b[i];
      if (c == 0x0d) break;
      if (!CLASSES.value[c]) return false;
      i++;
      if (c != 0x20 && c != 0x09) valueEnd = i;
    }
    Field& f = fields.fields[count];
    f.nameStart = nameStart;
    f.nameEnd = nameEnd;
    f.valueStart = valueStart;
    f.valueEnd = valueEnd;
    f.code = fieldName(b, nameStart, nameEnd);
    if (f.code == F_CONNECTION) {
      connections++;
      connection = count;
    }
    count++;
    if (i < stop) {
      if (i + 1 >= stop || b[i + 1] != 0x0a) return false;
      i += 2;
    }
  }
  fields.count = count;
  fields.connections = connections;
  fields.connection = connection;
  return true;
}

inline bool jsSpace(uint8_t c) { return c == 0x20 || c == 0x09 || c == 0xa0 || c == 0x0b || c == 0x0c; }

/** /(?:^|,)\s*chunked\s*$/i on b[start..end). */
bool endsWithChunked(const uint8_t* b, size_t start, size_t end) {
  size_t e = end;
  while (e > start && jsSpace(b[e - 1])) e--;
  if (e - start < 7) return false;
  size_t s = e - 7;
  static const char* word = "chunked";
  for (int k = 0; k < 7; k++)
    if (lower(b[s + k]) != static_cast<uint8_t>(word[k])) return false;
  while (s > start && jsSpace(b[s - 1])) s--;
  return s == start || b[s - 1] == ',';
}

/** /timeout=(\d+)/i on b[start..end), in ms; -1 without one. */
int64_t keepAliveTimeout(const uint8_t* b, size_t start, size_t end) {
  static const char* word = "timeout=";
  for (size_t i = start; i + 8 <= end; i++) {
    int k = 0;
    while (k < 8 && lower(b[i + k]) == static_cast<uint8_t>(word[k])) k++;
    if (k < 8) continue;
    size_t j = i + 8;
    if (j >= end || b[j] < '0' || b[j] > '9') continue;
    int64_t seconds = 0;
    while (j < end && b[j] >= '0' && b[j] <= '9') {
      if (seconds < 1000000000) seconds = seconds * 10 + (b[j] - '0');
      j++;
    }
    return seconds * 1000;
  }
  return -1;
}

}  // namespace

uint8_t fieldName(const uint8_t* b, size_t start, size_t end) {
  size_t n = end - start;
  if (n < 2 || n > 19) return F_OTHER;
  for (const Known& known : KNOWN) {
    if (strlen(known.name) != n) continue;
    size_t k = 0;
    while (k < n && lower(b[start + k]) == static_cast<uint8_t>(known.name[k])) k++;
    if (k == n) return known.code;
  }
  return F_OTHER;
}

bool containsLetters(const uint8_t* b, size_t start, size_t end, const char* word) {
  size_t n = strlen(word);
  if (end < start + n) return false;
  for (size_t i = start; i + n <= end; i++) {
    size_t k = 0;
    while (k < n && (b[i + k] | 0x20) == static_cast<uint8_t>(word[k])) k++;
    if (k == n) return true;
  }
  return false;
}

long headEnd(const uint8_t* b, size_t length, size_t from) {
  size_t stop = std::min(length, from + MAX_HEAD_BYTES + 4);
  for (size_t i = from + 3; i < stop; i++) {
    if (b[i] != 0x0a) continue;
    if (b[i - 1] == 0x0d && b[i - 2] == 0x0a && b[i - 3] == 0x0d) return static_cast<long>(i + 1);
  }
  return -1;
}

int parseRequestHead(const uint8_t* b, size_t stop, RequestHead& head) {
  size_t i = 0;
  while (i < stop && CLASSES.token[b[i]]) i++;
  if (i == 0 || i == stop || b[i] != 0x20) return 400;
  size_t methodEnd = i;
  size_t targetStart = ++i;
  while (i < stop && CLASSES.target[b[i]]) i++;
  if (i == targetStart || i == stop || b[i] != 0x20) return 400;
  size_t targetEnd = i;
  i++;
  if (i + 8 > stop || memcmp(b + i, "HTTP/1.", 7) != 0) return 400;
  uint8_t minor = b[i + 7];
  bool special;
  if (minor == 0x31)
    special = false;
  else if (minor == 0x30)
    special = true;
  else
    return 400;
  i += 8;
  if (i < stop) {
    if (b[i] != 0x0d || i + 1 >= stop || b[i + 1] != 0x0a) return 400;
    i += 2;
  }
  HeadFields& fields = head.fields;
  if (!readFields(b, i, stop, fields)) return 400;
  int64_t contentLength = -1;
  bool transferEncoding = false, close = false;
  for (int k = 0; k < fields.count; k++) {
    const Field& f = fields.fields[k];
    switch (f.code) {
      case F_CONTENT_LENGTH: {
        int64_t length = lengthValue(b, f.valueStart, f.valueEnd);
        if (length < 0) return 400;
        if (contentLength >= 0 && contentLength != length) return 400;
        contentLength = length;
        break;
      }
      case F_TRANSFER_ENCODING:
        transferEncoding = true;
        break;
      case F_CONNECTION:
        if (containsLetters(b, f.valueStart, f.valueEnd, "close")) close = true;
        if (containsLetters(b, f.valueStart, f.valueEnd, "upgrade")) special = true;
        break;
      case F_UPGRADE:
      case F_EXPECT:
        special = true;
        break;
      default:
        break;
    }
  }
  if (transferEncoding && contentLength >= 0) return 400;
  if (transferEncoding) special = true;
  head.methodEnd = methodEnd;
  head.targetEnd = targetEnd;
  head.contentLength = contentLength < 0 ? 0 : static_cast<uint64_t>(contentLength);
  head.close = close;
  head.special = special;
  return 0;
}

bool parseResponseHead(const uint8_t* b, size_t from, size_t stop, ResponseHead& head) {
  if (from + 12 > stop || memcmp(b + from, "HTTP/1.", 7) != 0) return false;
  uint8_t minor = b[from + 7];
  if ((minor != 0x30 && minor != 0x31) || b[from + 8] != 0x20) return false;
  int d1 = b[from + 9] - 0x30, d2 = b[from + 10] - 0x30, d3 = b[from + 11] - 0x30;
  if (d1 < 1 || d1 > 9 || d2 < 0 || d2 > 9 || d3 < 0 || d3 > 9) return false;
  size_t lineStop = from + 12;
  while (lineStop < stop && b[lineStop] != 0x0d) lineStop++;
  size_t fieldsStart = lineStop;
  if (lineStop < stop) {
    if (lineStop + 1 >= stop || b[lineStop + 1] != 0x0a) return false;
    fieldsStart = lineStop + 2;
  }
  size_t reasonStart = lineStop;
  if (lineStop > from + 12) {
    if (b[from + 12] != 0x20) return false;
    for (size_t k = from + 13; k < lineStop; k++)
      if (!CLASSES.value[b[k]]) return false;
    reasonStart = from + 13;
  }
  HeadFields& fields = head.fields;
  if (!readFields(b, fieldsStart, stop, fields)) return false;
  bool http10 = minor == 0x30;
  int64_t contentLength = -1, keepAliveMs = -1;
  bool chunked = false, close = http10;
  for (int k = 0; k < fields.count; k++) {
    const Field& f = fields.fields[k];
    switch (f.code) {
      case F_CONTENT_LENGTH: {
        int64_t length = lengthValue(b, f.valueStart, f.valueEnd);
        if (length < 0) return false;
        if (contentLength >= 0 && contentLength != length) return false;
        contentLength = length;
        break;
      }
      case F_TRANSFER_ENCODING:
        if (endsWithChunked(b, f.valueStart, f.valueEnd))
          chunked = true;
        else
          close = true;
        break;
      case F_CONNECTION:
        if (containsLetters(b, f.valueStart, f.valueEnd, "close"))
          close = true;
        else if (http10 && containsLetters(b, f.valueStart, f.valueEnd, "keep-alive"))
          close = false;
        break;
      case F_KEEP_ALIVE: {
        int64_t timeout = keepAliveTimeout(b, f.valueStart, f.valueEnd);
        if (timeout >= 0) keepAliveMs = timeout;
        break;
      }
      default:
        break;
    }
  }
  if (chunked) contentLength = -1;
  head.status = d1 * 100 + d2 * 10 + d3;
  head.reasonStart = reasonStart;
  head.reasonEnd = lineStop;
  head.contentLength = contentLength;
  head.chunked = chunked;
  head.close = close;
  head.keepAliveMs = keepAliveMs;
  return true;
}

namespace {
enum { SIZE, EXTENSION, DATA, DATA_CR, DATA_LF, TRAILER, DONE };
int hexValue(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

void ChunkedScanner::endOfSizeLine() {
  if (size == 0) {
    state = TRAILER;
    lineLength = 0;
  } else {
    state = DATA;
  }
}

long ChunkedScanner::scan(const uint8_t* b, size_t from, size_t end) {
  size_t i = from;
  while (i < end) {
    uint8_t byte = b[i];
    switch (state) {
      case SIZE: {
        int digit = hexValue(byte);
        if (digit >= 0) {
          if (++digits > 12) return -2;
          size = size * 16 + digit;
          i++;
        } else if (digits == 0) {
          return -2;
        } else if (byte == 0x3b || byte == 0x20 || byte == 0x09 || byte == 0x0d) {
          state = EXTENSION;
          i++;
        } else if (byte == 0x0a) {
          i++;
          endOfSizeLine();
        } else {
          return -2;
        }
        break;
      }
      case EXTENSION:
        if (byte == 0x0a) endOfSizeLine();
        i++;
        break;
      case DATA: {
        uint64_t take = std::min<uint64_t>(size, end - i);
        size -= take;
        i += take;
        if (size == 0) state = DATA_CR;
        break;
      }
      case DATA_CR:
        if (byte != 0x0d) return -2;
        state = DATA_LF;
        i++;
        break;
      case DATA_LF:
        if (byte != 0x0a) return -2;
        state = SIZE;
        size = 0;
        digits = 0;
        i++;
        break;
      case TRAILER:
        i++;
        if (byte == 0x0a) {
          if (lineLength == 0) {
            state = DONE;
            return static_cast<long>(i);
          }
          lineLength = 0;
        } else if (byte != 0x0d) {
          if (++lineLength > MAX_HEAD_BYTES) return -2;
        }
        break;
      default:
        return -2;
    }
  }
  return -1;
}

}  // namespace tandem
