#include "examples/http_server/request.h"

#include <gtest/gtest.h>

#include <string>

namespace http {
namespace {

// The status Parse gives `head` (200 when it parses).
int StatusOf(std::string_view head) {
  auto parsed = Parse(head);
  if (auto* refused = std::get_if<Refusal>(&parsed)) return refused->status;
  return 200;
}

int ResolveStatus(std::string_view target) {
  auto resolved = Resolve("/srv", target);
  if (auto* refused = std::get_if<Refusal>(&resolved)) return refused->status;
  return 200;
}

TEST(HeadEnd, CrlfAndBareLfBothEndAHead) {
  EXPECT_EQ(HeadEnd("GET / HTTP/1.1\r\nHost: a\r\n\r\nrest"), 27u);
  EXPECT_EQ(HeadEnd("GET / HTTP/1.1\nHost: a\n\nrest"), 24u);
  EXPECT_EQ(HeadEnd("GET / HTTP/1.1\r\nHost: a\n\r\n"), 26u);
  EXPECT_EQ(HeadEnd("GET / HTTP/1.1\r\nHost: a\r\n"), std::string_view::npos);
  EXPECT_EQ(HeadEnd("GET / HTTP/1.1\r\nHost: a\r\n\r"), std::string_view::npos);
}

TEST(LeadingEmptyLines, SkipsCrlfAndLfOnly) {
  EXPECT_EQ(LeadingEmptyLines("\r\n\nGET"), 3u);
  EXPECT_EQ(LeadingEmptyLines("\rGET"), 0u);
  EXPECT_EQ(LeadingEmptyLines("GET"), 0u);
}

TEST(Parse, AcceptsAWellFormedRequest) {
  auto parsed = Parse("GET /a%20b?x=1 HTTP/1.1\r\nHost: t\r\nConnection: Close\r\nContent-Length: 3\r\n\r\n");
  Request* r = std::get_if<Request>(&parsed);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->method, "GET");
  EXPECT_EQ(r->target, "/a%20b?x=1");
  EXPECT_EQ(r->minor_version, 1);
  EXPECT_FALSE(r->keep_alive);
  EXPECT_EQ(r->content_length, 3u);
}

TEST(Parse, BareLfLinesAreAccepted) {  // RFC 9112 §2.2
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\nHost: t\n\n"), 200);
}

TEST(Parse, Http10KeepAliveOnlyWhenAsked) {
  auto plain = Parse("GET / HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(std::holds_alternative<Request>(plain));
  EXPECT_FALSE(std::get<Request>(plain).keep_alive);
  auto asked = Parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  ASSERT_TRUE(std::holds_alternative<Request>(asked));
  EXPECT_TRUE(std::get<Request>(asked).keep_alive);
}

TEST(Parse, Http11NeedsExactlyOneHost) {  // RFC 9112 §3.2
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("GET / HTTP/1.0\r\n\r\n"), 200);
}

TEST(Parse, RefusesMalformedHeads) {
  EXPECT_EQ(StatusOf("GET  / HTTP/1.1\r\nHost: t\r\n\r\n"), 400);            // two spaces
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\rHost: t\r\n\r\n"), 400);               // bare CR
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\nHost : t\r\n\r\n"), 400);            // space before colon
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\nHost: t\r\n folded\r\n\r\n"), 400);  // obs-fold
  EXPECT_EQ(StatusOf(std::string("GET / HTTP/1.1\r\nHost: t\0x\r\n\r\n", 28)), 400);  // NUL in a value
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("GET / HTTX/1.1\r\nHost: t\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("GET / HTTP/2.0\r\nHost: t\r\n\r\n"), 505);
  EXPECT_EQ(StatusOf("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"), 501);
}

TEST(Resolve, MapsTargetsUnderTheRoot) {
  auto resolved = Resolve("/srv", "/sub%20dir/./a%20b.txt?q=1");
  ASSERT_TRUE(std::holds_alternative<std::filesystem::path>(resolved));
  EXPECT_EQ(std::get<std::filesystem::path>(resolved), "/srv/sub dir/a b.txt");
  EXPECT_EQ(std::get<std::filesystem::path>(Resolve("/srv", "/")), "/srv");
}

TEST(Resolve, RefusesControlBytesEscapesAndBadEncodings) {
  EXPECT_EQ(ResolveStatus("/f64.bin%00"), 400);
  EXPECT_EQ(ResolveStatus("/a%0ab"), 400);
  EXPECT_EQ(ResolveStatus("/a%7f"), 400);
  EXPECT_EQ(ResolveStatus("/../etc/passwd"), 400);
  EXPECT_EQ(ResolveStatus("/a/%2e%2e/%2e%2e/etc"), 400);
  EXPECT_EQ(ResolveStatus("/a%2f..%2fb"), 400);
  EXPECT_EQ(ResolveStatus("/a%4"), 400);
  EXPECT_EQ(ResolveStatus("/a%zz"), 400);
  EXPECT_EQ(ResolveStatus("http://t/a"), 400);
  EXPECT_EQ(ResolveStatus("/a..b"), 200);
}

}  // namespace
}  // namespace http
