#include "examples/http_server/request.h"

#include <vector>

namespace http {
namespace {

constexpr Refusal kBadRequest{400, "Bad Request"};

bool IsControl(unsigned char c) { return c < 0x20 || c == 0x7f; }

// RFC 9110 §5.6.2 tchar.
bool IsTokenChar(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}
bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits at LF, dropping one CR before each LF (RFC 9112 §2.2).
std::vector<std::string_view> Lines(std::string_view head) {
  std::vector<std::string_view> lines;
  while (!head.empty()) {
    size_t lf = head.find('\n');
    std::string_view line = head.substr(0, lf);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (lf == std::string_view::npos) break;
    head.remove_prefix(lf + 1);
  }
  return lines;
}

bool ParseSize(std::string_view s, size_t* out) {
  if (s.empty() || s.size() > 18) return false;
  size_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<size_t>(c - '0');
  }
  *out = v;
  return true;
}

// "METHOD SP target SP HTTP/1.x", single spaces (RFC 9112 §3).
std::optional<Refusal> ParseRequestLine(std::string_view line, Request& r) {
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) return kBadRequest;
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!IsToken(method) || target.empty()) return kBadRequest;
  for (char c : target) {
    if (IsControl(static_cast<unsigned char>(c))) return kBadRequest;
  }
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.') return kBadRequest;
  char major = version[5], minor = version[7];
  if (major < '0' || major > '9' || minor < '0' || minor > '9') return kBadRequest;
  if (major != '1') return Refusal{505, "HTTP Version Not Supported"};
  r.method = std::string(method);
  r.target = std::string(target);
  r.minor_version = minor - '0';
  r.keep_alive = r.minor_version >= 1;
  return std::nullopt;
}

// Connection: a comma-separated list of options.
void ApplyConnection(std::string_view value, Request& r) {
  for (;;) {
    size_t comma = value.find(',');
    std::string option = Lower(TrimSpace(value.substr(0, comma)));
    if (option == "close") r.keep_alive = false;
    if (option == "keep-alive" && r.minor_version == 0) r.keep_alive = true;
    if (comma == std::string_view::npos) return;
    value.remove_prefix(comma + 1);
  }
}

struct FieldState {
  int hosts = 0;
  bool has_length = false;
};

// "name: value" (RFC 9112 §5): no whitespace before the colon, no control
// byte but HTAB in the value.
std::optional<Refusal> ParseField(std::string_view line, Request& r, FieldState& state) {
  if (line.front() == ' ' || line.front() == '\t') return kBadRequest;  // obs-fold
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || !IsToken(line.substr(0, colon))) return kBadRequest;
  std::string name = Lower(line.substr(0, colon));
  std::string_view value = TrimSpace(line.substr(colon + 1));
  for (char c : value) {
    if (c != '\t' && IsControl(static_cast<unsigned char>(c))) return kBadRequest;
  }
  if (name == "host") {
    ++state.hosts;
  } else if (name == "connection") {
    ApplyConnection(value, r);
  } else if (name == "content-length") {
    size_t length;
    if (!ParseSize(value, &length)) return kBadRequest;
    if (state.has_length && length != r.content_length) return kBadRequest;
    state.has_length = true;
    r.content_length = length;
  } else if (name == "transfer-encoding") {
    return Refusal{501, "Not Implemented"};
  }
  return std::nullopt;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') return (c | 0x20) - 'a' + 10;
  return -1;
}

// Percent-decodes `s`; false on a bad escape or a decoded control byte.
bool Decode(std::string_view s, std::string* out) {
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '%') {
      if (i + 2 >= s.size()) return false;
      int hi = HexValue(s[i + 1]), lo = HexValue(s[i + 2]);
      if (hi < 0 || lo < 0) return false;
      c = static_cast<unsigned char>(hi * 16 + lo);
      i += 2;
    }
    if (IsControl(c)) return false;
    out->push_back(static_cast<char>(c));
  }
  return true;
}

}  // namespace

size_t LeadingEmptyLines(std::string_view data) {
  size_t at = 0;
  for (;;) {
    if (data.substr(at, 1) == "\n") {
      at += 1;
    } else if (data.substr(at, 2) == "\r\n") {
      at += 2;
    } else {
      return at;
    }
  }
}

size_t HeadEnd(std::string_view data) {
  for (size_t lf = data.find('\n'); lf != std::string_view::npos; lf = data.find('\n', lf + 1)) {
    std::string_view rest = data.substr(lf + 1);
    if (rest.substr(0, 1) == "\n") return lf + 2;
    if (rest.substr(0, 2) == "\r\n") return lf + 3;
  }
  return std::string_view::npos;
}

std::variant<Request, Refusal> Parse(std::string_view head) {
  std::vector<std::string_view> lines = Lines(head);
  for (std::string_view line : lines) {
    if (line.find('\r') != std::string_view::npos) return kBadRequest;  // a bare CR
  }
  Request r;
  if (lines.empty()) return kBadRequest;
  if (auto refused = ParseRequestLine(lines[0], r)) return *refused;
  FieldState state;
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) break;  // the end of the head
    if (auto refused = ParseField(lines[i], r, state)) return *refused;
  }
  if (state.hosts > 1 || (r.minor_version >= 1 && state.hosts == 0)) return kBadRequest;
  return r;
}

std::variant<std::filesystem::path, Refusal> Resolve(const std::filesystem::path& root, std::string_view target) {
  if (target.empty() || target[0] != '/') return kBadRequest;
  target = target.substr(0, target.find_first_of("?#"));
  std::string decoded;
  if (!Decode(target, &decoded)) return kBadRequest;
  std::filesystem::path path = root;
  std::string_view rest = decoded;
  for (;;) {
    size_t slash = rest.find('/');
    std::string_view segment = rest.substr(0, slash);
    if (segment == "..") return kBadRequest;
    if (!segment.empty() && segment != ".") path /= std::string(segment);
    if (slash == std::string_view::npos) return path;
    rest.remove_prefix(slash + 1);
  }
}

}  // namespace http
