#include "tools/cli/exercise.h"

#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "lio/core/op.h"

namespace lio::cli {
namespace {

constexpr auto kStepDeadline = std::chrono::seconds(5);

// Pushes `op`, flushes and waits (bounded) for its completion's result.
Expected<int64_t, std::string> RunOne(Backend& backend, const lio_op& op) {
  static uint64_t next_id = 1;
  uint64_t id = next_id++;
  if (std::error_code ec = backend.push(id, op)) return Unexpected{"push: " + ec.message()};
  if (auto flushed = backend.flush(); !flushed) return Unexpected{"flush: " + flushed.error().message()};
  auto deadline = std::chrono::steady_clock::now() + kStepDeadline;
  while (std::chrono::steady_clock::now() < deadline) {
    auto done = backend.wait(std::chrono::milliseconds(100));
    if (!done) return Unexpected{"wait: " + done.error().message()};
    for (const lio_completion& c : *done) {
      if (c.id != id) return Unexpected{absl::StrFormat("completion for unknown id %d", c.id)};
      return c.result;
    }
  }
  return Unexpected{std::string("no completion within 5 s")};
}

std::string Describe(const char* step, int64_t result) {
  return absl::StrFormat("%s returned %d (%s)", step, result, result < 0 ? error_name(static_cast<int>(result)) : "");
}

}  // namespace

ExerciseResult Exercise(Registry& registry, const BackendInfo& info) {
  auto opened = registry.Open(info.name, {.capacity = 8});
  if (!opened) return {false, opened.error().message};
  Backend& backend = *opened;
  std::vector<std::string> done;

  if (backend.supports(LIO_OP_NOP)) {
    auto r = RunOne(backend, Op::Nop());
    if (!r) return {false, "nop: " + r.error()};
    if (*r != 0) return {false, Describe("nop", *r)};
    done.push_back("nop");
  }

  const uint64_t needed = LIO_CAP(LIO_OP_OPENAT) | LIO_CAP(LIO_OP_WRITE) | LIO_CAP(LIO_OP_READ) | LIO_CAP(LIO_OP_CLOSE);
  if ((info.capabilities & needed) == needed) {
    std::string path = (std::filesystem::temp_directory_path() /
                        absl::StrFormat("lio-exercise-%d-%s", getpid(), info.name)).string();
    auto fd = RunOne(backend, Op::Openat(LIO_AT_FDCWD, path.c_str(), LIO_OPEN_RDWR | LIO_OPEN_CREATE | LIO_OPEN_TRUNC));
    std::filesystem::remove(path);
    if (!fd) return {false, "openat: " + fd.error()};
    if (*fd < 0) return {false, Describe("openat", *fd)};
    const char text[] = "lio exercise";
    char back[sizeof text] = {};
    auto wrote = RunOne(backend, Op::Write(*fd, text, sizeof text, 4096));
    auto read = RunOne(backend, Op::Read(*fd, back, sizeof back, 4096));
    auto closed = RunOne(backend, Op::Close(*fd));
    if (!wrote || *wrote != static_cast<int64_t>(sizeof text)) {
      return {false, wrote ? Describe("write", *wrote) : "write: " + wrote.error()};
    }
    if (!read || *read != static_cast<int64_t>(sizeof text) || std::memcmp(text, back, sizeof text) != 0) {
      return {false, read ? Describe("read (or data differs)", *read) : "read: " + read.error()};
    }
    if (!closed || *closed != 0) return {false, closed ? Describe("close", *closed) : "close: " + closed.error()};
    done.push_back("openat+write+read+close");
  }

  if (backend.supports(LIO_OP_TIMEOUT)) {
    auto r = RunOne(backend, Op::Timeout(1'000'000));
    if (!r) return {false, "timeout: " + r.error()};
    if (*r != -LIO_ETIME) return {false, Describe("timeout", *r)};
    done.push_back("timeout");
  }
  if (done.empty()) return {true, "nothing it declares can be exercised here"};
  return {true, absl::StrJoin(done, ", ")};
}

}  // namespace lio::cli
