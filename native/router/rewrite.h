// The heads as they go out, as rewrite.ts builds them (and headers.ts for the heads it leaves to it: a
// Connection field naming other fields, a request without Host): the same bytes for the same input.
#pragma once
#include <string>

#include "http1.h"

namespace tandem {

/**
 * Appends the upstream request head for `head` (parsed from `b`) to `out`, without its final empty line when
 * the request has no Host to keep (`hostless` is then set: the caller adds the endpoint's Host line and the
 * empty line), with it otherwise.
 */
void upstreamRequest(const uint8_t* b, const RequestHead& head, const std::string& clientAddress,
                     std::string& out, bool& hostless);

/** Appends the client's response head: status line, end-to-end fields, `date` if none, `framing`, `connection`. */
void clientResponse(const uint8_t* b, const ResponseHead& head, const std::string& date, const char* framing,
                    const char* connection, std::string& out);

/** The Host header http.request sends for an endpoint: IPv6 in brackets, the port unless 80. */
std::string hostHeader(const std::string& host, int port);

}  // namespace tandem
