// A C++ program built outside Bazel against an installed lio (pkg-config or
// CMake): for io_uring and poller, opened by name from the installed plugin
// directory, a lio::Loop runs a nop and reads a file. Exits 0 when both work.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "lio/runtime/runtime.h"

namespace {

bool Exercise(const char* name) {
  auto loop = lio::Loop::Open({.backend = name, .capacity = 8, .timers = 8});
  if (!loop) {
    std::fprintf(stderr, "%s: %s\n", name, loop.error().message.c_str());
    return false;
  }
  const std::string text = "read through an installed lio";
  char path[] = "/tmp/lio_consumer_XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0 || write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) return false;
  unlink(path);

  bool nop_ok = false;
  std::string got;
  char buf[64] = {};
  (*loop)->nop([&](std::error_code ec) { nop_ok = !ec; });
  (*loop)->read(fd, buf, 0, [&](lio::Expected<size_t> n) {
    if (n) got.assign(buf, *n);
  });
  std::error_code ec = (*loop)->run();
  close(fd);
  bool ok = !ec && nop_ok && got == text;
  std::printf("%s (%s): nop %s, file read %s\n", name, (*loop)->backend_name().c_str(), nop_ok ? "ok" : "FAILED",
              got == text ? "ok" : "FAILED");
  return ok;
}

}  // namespace

int main() {
  bool ok = Exercise("io_uring");
  ok = Exercise("poller") && ok;
  std::puts(ok ? "PASS" : "FAILED");
  return ok ? 0 : 1;
}
