// The fixture every conformance case uses, and the macros that define cases.
//
//   class NopTest : public ConformanceTest {};
//   LIO_INSTANTIATE_CONFORMANCE_SUITE(NopTest);
//
//   LIO_CONFORMANCE_CASE(NopTest, result_nop, NopCompletesWithZero) {
//     LIO_REQUIRE_OPS(LIO_OP_NOP);
//     EXPECT_EQ(Complete(lio::Op::Nop()), 0);
//   }
//
// A case's name starts with the clause it checks (an id of plugin_abi.h,
// clauses.h); the fixture records that id as the gtest property "clause"
// before the case runs, so skipped cases carry it too. Every completion the helpers see is checked
// against the universal invariants (exactly once, known ids only), and every
// wait is bounded by kDeadline, so a backend that stops producing fails the
// case instead of hanging it.
//
// Memory and handles an operation may touch come from Keep/Buffer/Own: they
// stay valid until after the backend is destroyed in TearDown, even when an
// assertion ends the case early with operations still in flight.
#ifndef LIO_TESTING_CONFORMANCE_TEST_H_
#define LIO_TESTING_CONFORMANCE_TEST_H_

#include <gtest/gtest.h>

#include <chrono>
#include <compare>
#include <filesystem>
#include <string>
#include <string_view>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "lio/core/backend.h"
#include "lio/core/op.h"
#include "lio/core/plugin_abi.h"
#include "lio/testing/backends_under_test.h"
#include "lio/testing/clauses.h"
#include "lio/testing/platform.h"
#include "lio/testing/sockets.h"
#include "lio/testing/temp_dir.h"
#include "lio/testing/wait_guard.h"

namespace lio::testing {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

// An ABI result (>= 0, or -LIO_E*) that prints as "-ECANCELED (-125)" in
// failure messages. Compares with plain integers.
struct Result {
  int64_t value;
  friend bool operator==(const Result&, const Result&) = default;
  friend bool operator==(Result a, int64_t b) { return a.value == b; }
  friend std::strong_ordering operator<=>(Result a, int64_t b) { return a.value <=> b; }
};
inline constexpr Result kNoCompletion{INT64_MIN};
void PrintTo(const Result& result, std::ostream* os);

// Records the clause and the backend; needs no backend instance.
class ClauseTest : public ::testing::TestWithParam<const BackendUnderTest*> {
 protected:
  void SetUp() override;

  const BackendInfo& info() const { return *GetParam()->info; }
  const ProbeResult& probe() const { return GetParam()->probe; }
  bool declares(uint32_t code) const { return info().supports(code); }
  // The clause's cases cannot hold under ConfigFlags() (the promise waives it).
  static bool WaivedByConfig(const Clause& clause);
  // The first of `codes` the backend does not declare.
  std::optional<uint32_t> FirstUndeclared(std::initializer_list<uint32_t> codes) const;
};

// A fresh backend instance (capacity kDefaultCapacity) per case.
class ConformanceTest : public ClauseTest {
 public:
  static constexpr uint32_t kDefaultCapacity = 64;
  // The bound of every wait: past it, the backend has stopped producing.
  static constexpr nanoseconds kDeadline = seconds(5);

 protected:
  void SetUp() override;
  void TearDown() override;

  Backend& backend() { return *backend_; }
  // Replaces the instance (in-flight ops of the old one are not delivered).
  [[nodiscard]] bool Reopen(const BackendOptions& options);
  // The options of the instance each case starts with ($LIO_CONFORMANCE_OPTIONS, or none).
  std::string DefaultBackendOptions() const;
  // Destroys the instance now, with whatever is in flight.
  void DestroyBackend();

  // ---- submitting ----
  uint64_t NextId() { return next_id_++; }
  // push, tracking `id` as in flight when it is queued.
  Result Push(uint64_t id, const lio_op& op);
  // Push under a new id that must be accepted; returns the id.
  uint64_t PushNew(const lio_op& op);
  // flush; a failure is reported and returns -1.
  int Flush();
  // Push, flush, and wait (bounded) for this op's result.
  Result Complete(const lio_op& op);
  // cancel, as a result (0 or -LIO_E*).
  Result Cancel(uint64_t id);
  // What cancel of an id not in flight may answer: -LIO_ENOENT
  // ([cancel.enoent]), or 0 too when the suite runs under
  // LIO_CONFIG_UNIQUE_IDS ([cancel.unique_ids]).
  static bool AnswersUnknownId(Result cancelled);

  // ---- reaping (each completion is checked against the invariants) ----
  // One wait(timeout); the batch it returned. Bounded: a wait that overstays
  // its timeout by kLateSlack (or, without one, blocks past kDeadline +
  // kLateSlack) is woken by the suite and fails the case.
  std::vector<lio_completion> WaitOnce(Backend::Timeout timeout);
  // The same, returning the backend's own array (valid until the next wait,
  // or push without LIO_FEATURE_STABLE_COMPLETIONS).
  std::span<const lio_completion> WaitInPlace(Backend::Timeout timeout);
  // Completions until `n` arrived or kDeadline passed (a failure then).
  std::vector<lio_completion> WaitFor(size_t n, nanoseconds deadline = kDeadline);
  // The result of `id`, waiting (bounded) until it completes.
  Result WaitForId(uint64_t id, nanoseconds deadline = kDeadline);
  // Everything that completes within `duration` (for "nothing more" checks).
  std::vector<lio_completion> ReapFor(nanoseconds duration);
  bool in_flight(uint64_t id) const { return in_flight_.contains(id); }
  size_t in_flight_count() const { return in_flight_.size(); }
  // The result `id` completed with, if it did.
  std::optional<Result> result_of(uint64_t id) const;
  // 1.1: every completion `id` had since its push, in order (one for a
  // single-completion op; a stream's MORE completions, then its final one).
  const std::vector<lio_completion>& completions_of(uint64_t id) const;

  // ---- memory and handles operations may touch ----
  template <class T, class... Args>
  T& Keep(Args&&... args) {
    auto kept = std::make_shared<T>(std::forward<Args>(args)...);
    kept_.push_back(kept);
    return *kept;
  }
  std::span<char> Buffer(size_t size, char fill = '\0') { return Keep<std::vector<char>>(size, fill); }
  // `h` is closed after the backend is destroyed. Returns `h`.
  lio_handle Own(lio_handle h);
  lio_handle Own(Result handle) { return Own(static_cast<lio_handle>(handle.value)); }

  // ---- files and sockets, owned by the case ----
  // The case's own temporary directory (made on first use).
  const std::filesystem::path& TempPath();
  // A file in TempPath() holding `content`.
  std::filesystem::path WriteFile(std::string_view name, std::string_view content);
  std::string ReadFile(const std::filesystem::path& path);
  // An owned handle to an existing file (a failure when it cannot be opened).
  lio_handle OpenOwned(const std::filesystem::path& path, platform::Access access);
  Listener OwnedListener();
  TcpPair OwnedTcpPair();
  UdpSocket OwnedUdpSocket();

 private:
  void Observe(const lio_completion& completion);
  // [completion.flags_zero], [multishot.more]: flags only where the op's code
  // (and per-op flags) allow them.
  void CheckFlags(const lio_completion& completion) const;

  // Declared before backend_, so destroyed after it.
  std::vector<std::shared_ptr<void>> kept_;
  std::optional<TempDir> temp_dir_;
  std::vector<lio_handle> owned_handles_;
  std::optional<Backend> backend_;
  WaitGuard wait_guard_;
  std::unordered_set<uint64_t> in_flight_;
  std::unordered_map<uint64_t, int64_t> completed_;  // id -> result
  struct Pushed {
    uint32_t code = 0;
    uint32_t flags = 0;
  };
  std::unordered_map<uint64_t, Pushed> pushed_;  // id -> what it was, since its last push
  std::unordered_map<uint64_t, std::vector<lio_completion>> streams_;  // id -> its completions
  // Ids with high bits set, so a backend that keeps only 32 bits is caught.
  // Under LIO_CONFIG_UNIQUE_IDS bit 63 is clear: io_uring sends such ids
  // to the kernel as they are, the path the flag exists for.
  uint64_t next_id_ = (ConfigFlags() & LIO_CONFIG_UNIQUE_IDS) != 0 ? 0x40DE'0000'0000'0001ull : 0xC0DE'0000'0000'0001ull;
};

// A conformance case as LIO_CONFORMANCE_CASE entered it: the clause it
// checks, its gtest suite and its test name (without backend suffix).
struct RegisteredCase {
  const Clause* clause;
  std::string_view suite;
  std::string_view name;
};
// Every case of the suite, in registration order.
const std::vector<RegisteredCase>& RegisteredCases();
struct CaseRegistration {
  CaseRegistration(const Clause& clause, std::string_view suite, std::string_view name);
};

// How much earlier than asked a timer may fire (clock granularity), and how
// much later it may fire on a loaded CI machine before the case fails.
inline constexpr nanoseconds kEarlySlack = milliseconds(2);
inline constexpr nanoseconds kLateSlack = seconds(2);

// A duration as the int64 nanoseconds ops take.
inline int64_t Ns(nanoseconds d) { return d.count(); }

// Milliseconds, for timing checks that print readably.
inline double Ms(nanoseconds d) { return std::chrono::duration<double, std::milli>(d).count(); }

// Time since `start`, for timing checks.
inline nanoseconds Since(Clock::time_point start) { return Clock::now() - start; }

}  // namespace lio::testing

// Defines case `Name` of `Suite`, checking the one clause `clause`: an id of
// plugin_abi.h spelled as a C++ name (push_full_first for [push.full_first];
// clauses.h lists them). The case is also entered in RegisteredCases(), so
// the runner can print the map and run the cases of one id.
#define LIO_CONFORMANCE_CASE(Suite, clause, Name)                                                        \
  static_assert(::lio::testing::clauses::clause.testable(), #clause " is marked not testable in clauses.h"); \
  static const ::lio::testing::CaseRegistration lio_case_##Suite##_##clause##_##Name{                    \
      ::lio::testing::clauses::clause, #Suite, #clause "_" #Name};                                        \
  TEST_P(Suite, clause##_##Name)

// Skips the case, saying why, when the backend does not declare every op.
#define LIO_REQUIRE_OPS(...)                                                     \
  if (auto lio_undeclared_op_ = FirstUndeclared({__VA_ARGS__}); !lio_undeclared_op_) { \
  } else                                                                         \
    GTEST_SKIP() << "backend does not declare " << ::lio::op_name(*lio_undeclared_op_)

#endif  // LIO_TESTING_CONFORMANCE_TEST_H_
