// HTTP/1.1 request heads for the example server (RFC 9112): where a head
// ends, what it says, and which file under the root a target names. Pure
// functions on bytes: no I/O, no lio, so they are unit-tested on their own
// (request_test.cc).
//
// Leniency, all of it allowed by RFC 9112 §2.2: a bare LF ends a line like
// CRLF does, and empty lines before the request line are skipped. Everything
// else that is malformed is refused, never guessed at: a bare CR, a control
// byte in a field value, whitespace before a field's colon, obs-fold, an
// HTTP/1.1 request without exactly one Host (§3.2), conflicting
// Content-Length values, and a target that decodes to a control byte (%00) or
// climbs out of the root with "..".
#ifndef EXAMPLES_HTTP_SERVER_REQUEST_H_
#define EXAMPLES_HTTP_SERVER_REQUEST_H_

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace http {

// A refused request: the status to answer with and its reason phrase.
struct Refusal {
  int status;
  const char* reason;
};

struct Request {
  std::string method;
  std::string target;
  int minor_version = 1;
  bool keep_alive = true;
  size_t content_length = 0;
};

// How many leading bytes of `data` are empty lines (CRLF or LF) to skip
// before a request line.
size_t LeadingEmptyLines(std::string_view data);

// The length of the head at the start of `data` — through the empty line
// that ends it (CRLF CRLF, LF LF, or a mix) — or npos while it is incomplete.
size_t HeadEnd(std::string_view data);

// Parses a complete head (as delimited by HeadEnd). 400 for anything
// malformed, 501 for a Transfer-Encoding (bodies other than Content-Length
// are not implemented), 505 for an HTTP major version other than 1.
std::variant<Request, Refusal> Parse(std::string_view head);

// The file a request target ("/a%20b/c.txt?x") names under `root`:
// percent-decoded, query dropped, "." and empty segments ignored. 400 for a
// target that is not origin-form, a bad %-escape, a control byte after
// decoding, or a ".." segment. A directory is not resolved here (the caller
// looks at the file system).
std::variant<std::filesystem::path, Refusal> Resolve(const std::filesystem::path& root, std::string_view target);

}  // namespace http

#endif  // EXAMPLES_HTTP_SERVER_REQUEST_H_
