#include "rewrite.h"

#include <vector>

namespace tandem {

namespace {

inline uint8_t lower(uint8_t c) { return (c >= 'A' && c <= 'Z') ? c | 0x20 : c; }
inline bool jsTrimmed(uint8_t c) { return c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d || c == 0x0b || c == 0x0c || c == 0xa0; }

/**
 * The field names the Connection fields list (headers.ts withoutListed), lower-cased; empty when there is
 * no Connection field or its joined value is exactly "keep-alive" or "close".
 */
std::vector<std::string> listedNames(const uint8_t* b, const HeadFields& fields) {
  std::vector<std::string> listed;
  if (fields.connections == 0) return listed;
  std::string joined;
  bool first = true;
  for (int k = 0; k < fields.count; k++) {
    const Field& f = fields.fields[k];
    if (f.code != F_CONNECTION) continue;
    if (!first) joined += ", ";
    first = false;
    joined.append(reinterpret_cast<const char*>(b) + f.valueStart, f.valueEnd - f.valueStart);
  }
  if (joined == "keep-alive" || joined == "close") return listed;
  size_t start = 0;
  for (;;) {
    size_t comma = joined.find(',', start);
    size_t end = comma == std::string::npos ? joined.size() : comma;
    size_t s = start, e = end;
    while (s < e && jsTrimmed(joined[s])) s++;
    while (e > s && jsTrimmed(joined[e - 1])) e--;
    std::string token;
    for (size_t i = s; i < e; i++) token += static_cast<char>(lower(joined[i]));
    listed.push_back(token);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return listed;
}

bool isListed(const uint8_t* b, const Field& f, const std::vector<std::string>& listed) {
  size_t n = f.nameEnd - f.nameStart;
  for (const std::string& name : listed) {
    if (name.size() != n) continue;
    size_t k = 0;
    while (k < n && lower(b[f.nameStart + k]) == static_cast<uint8_t>(name[k])) k++;
    if (k == n) return true;
  }
  return false;
}

inline void put(std::string& out, const uint8_t* b, size_t start, size_t end) {
  out.append(reinterpret_cast<const char*>(b) + start, end - start);
}

void putField(std::string& out, const uint8_t* b, const Field& f) {
  put(out, b, f.nameStart, f.nameEnd);
  out += ": ";
  put(out, b, f.valueStart, f.valueEnd);
  out += "\r\n";
}

/** Values of the fields with `code` joined by ", "; `length` as rewrite.ts counts it (-2 + Σ(2 + len)). */
long joined(const uint8_t* b, const HeadFields& fields, uint8_t code, std::string* out) {
  long length = -2;
  for (int k = 0; k < fields.count; k++) {
    const Field& f = fields.fields[k];
    if (f.code != code) continue;
    if (out != nullptr) {
      if (length != -2) *out += ", ";
      put(*out, b, f.valueStart, f.valueEnd);
    }
    length += 2 + static_cast<long>(f.valueEnd - f.valueStart);
  }
  return length;
}

}  // namespace

std::string hostHeader(const std::string& host, int port) {
  std::string name = host.find(':') != std::string::npos && host[0] != '[' ? "[" + host + "]" : host;
  return port == 80 ? name : name + ":" + std::to_string(port);
}

void upstreamRequest(const uint8_t* b, const RequestHead& head, const std::string& clientAddress,
                     std::string& out, bool& hostless) {
  const HeadFields& fields = head.fields;
  std::vector<std::string> listed = listedNames(b, fields);
  put(out, b, 0, head.targetEnd);
  out += " HTTP/1.1\r\n";
  unsigned seen = 0;
  int host = -1;
  bool hostKept = false;
  for (int k = 0; k < fields.count; k++) {
    const Field& f = fields.fields[k];
    uint8_t code = f.code;
    if (code != F_OTHER) {
      if (code <= F_LAST_HOP_BY_HOP) continue;
      if (code == F_X_FORWARDED_FOR || code == F_X_FORWARDED_PROTO || code == F_X_FORWARDED_HOST) continue;
      if (code >= F_FIRST_ONLY) {
        unsigned bit = 1u << (code - F_FIRST_ONLY);
        if (seen & bit) continue;
        seen |= bit;
        if (code == F_HOST) host = k;
      }
    }
    if (!listed.empty() && isListed(b, f, listed)) continue;
    if (code == F_HOST) hostKept = true;
    putField(out, b, f);
  }
  out += "x-forwarded-for: ";
  if (joined(b, fields, F_X_FORWARDED_FOR, nullptr) > 0) {
    joined(b, fields, F_X_FORWARDED_FOR, &out);
    out += ", ";
  }
  out += clientAddress;
  out += "\r\nx-forwarded-proto: ";
  if (joined(b, fields, F_X_FORWARDED_PROTO, nullptr) > 0)
    joined(b, fields, F_X_FORWARDED_PROTO, &out);
  else
    out += "http";
  out += "\r\n";
  if (joined(b, fields, F_X_FORWARDED_HOST, nullptr) > 0) {
    out += "x-forwarded-host: ";
    joined(b, fields, F_X_FORWARDED_HOST, &out);
    out += "\r\n";
  } else if (host >= 0 && fields.fields[host].valueEnd > fields.fields[host].valueStart) {
    out += "x-forwarded-host: ";
    put(out, b, fields.fields[host].valueStart, fields.fields[host].valueEnd);
    out += "\r\n";
  }
  hostless = !hostKept;
  if (!hostless) out += "\r\n";
}

void clientResponse(const uint8_t* b, const ResponseHead& head, const std::string& date, const char* framing,
                    const char* connection, std::string& out) {
  const HeadFields& fields = head.fields;
  std::vector<std::string> listed = listedNames(b, fields);
  out += "HTTP/1.1 ";
  out += static_cast<char>('0' + head.status / 100);
  out += static_cast<char>('0' + (head.status / 10) % 10);
  out += static_cast<char>('0' + head.status % 10);
  out += ' ';
  put(out, b, head.reasonStart, head.reasonEnd);
  out += "\r\n";
  unsigned seen = 0;
  bool hasDate = false;
  for (int k = 0; k < fields.count; k++) {
    const Field& f = fields.fields[k];
    uint8_t code = f.code;
    if (code != F_OTHER) {
      if (code <= F_LAST_HOP_BY_HOP) continue;
      if (code >= F_FIRST_ONLY) {
        unsigned bit = 1u << (code - F_FIRST_ONLY);
        if (seen & bit) continue;
        seen |= bit;
      }
    }
    if (!listed.empty() && isListed(b, f, listed)) continue;
    if (code == F_DATE) hasDate = true;
    putField(out, b, f);
  }
  if (!hasDate) out += date;
  out += framing;
  out += connection;
}

}  // namespace tandem
