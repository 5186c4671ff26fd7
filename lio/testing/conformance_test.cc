#include "lio/testing/conformance_test.h"

#include <cstdlib>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "lio/core/error.h"
#include "lio/testing/platform.h"

namespace lio::testing {
namespace {

std::string DescribeIds(const std::unordered_set<uint64_t>& ids) {
  std::ostringstream out;
  out << std::hex;
  size_t shown = 0;
  for (uint64_t id : ids) {
    if (shown++ == 8) {
      out << " ...";
      break;
    }
    out << " 0x" << id;
  }
  return out.str();
}

}  // namespace

void PrintTo(const Result& result, std::ostream* os) {
  if (result == kNoCompletion) {
    *os << "no completion";
  } else if (result.value < 0 && result.value > -4096) {
    *os << "-" << error_name(static_cast<int>(-result.value)) << " (" << result.value << ")";
  } else {
    *os << result.value;
  }
}

// ---- ClauseTest ------------------------------------------------------------

void ClauseTest::SetUp() {
  const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string_view name = test->name();
  const Clause* clause = ClauseOfTestName(name);
  RecordProperty("backend", info().name);
  if (clause == nullptr) {
    RecordProperty("clause", "none");
    GTEST_FAIL() << "suite bug: case " << name << " does not start with a clause of clauses.h";
  }
  RecordProperty("clause", std::string(clause->id));
  if (WaivedByConfig(*clause)) {
    GTEST_SKIP() << "the suite runs with LIO_CONFIG_UNIQUE_IDS (--lio_unique_ids), which waives [" << clause->id
                 << "] ([config.unique_ids], [cancel.unique_ids])";
  }
}

bool ClauseTest::WaivedByConfig(const Clause& clause) {
  if ((ConfigFlags() & LIO_CONFIG_UNIQUE_IDS) == 0) return false;
  const std::string_view id = clause.id;
  return id == clauses::push_duplicate.id || id == clauses::cancel_enoent.id;
}

// ---- the case registry --------------------------------------------------------

namespace {
std::vector<RegisteredCase>& MutableCases() {
  static auto* cases = new std::vector<RegisteredCase>;  // filled during static initialization
  return *cases;
}
}  // namespace

const std::vector<RegisteredCase>& RegisteredCases() { return MutableCases(); }

CaseRegistration::CaseRegistration(const Clause& clause, std::string_view suite, std::string_view name) {
  MutableCases().push_back({&clause, suite, name});
}

std::optional<uint32_t> ClauseTest::FirstUndeclared(std::initializer_list<uint32_t> codes) const {
  for (uint32_t code : codes) {
    if (!declares(code)) return code;
  }
  return std::nullopt;
}

// ---- ConformanceTest: set-up -----------------------------------------------

void ConformanceTest::SetUp() {
  ClauseTest::SetUp();
  if (HasFatalFailure() || IsSkipped()) return;
  if (!probe().ok()) {
    GTEST_SKIP() << "backend " << info().name << " cannot run here (probe: " << probe().why << ")";
  }
  ASSERT_TRUE(Reopen({.capacity = kDefaultCapacity, .options = DefaultBackendOptions()}));
}

// The backend options every case's instance is created with: the runner's
// --lio_options (e.g. io_uring's native_fs=0), else $LIO_CONFORMANCE_OPTIONS
// (e.g. "sqpoll=1" to run the suite over io_uring's SQPOLL).
std::string ConformanceTest::DefaultBackendOptions() const {
  if (!GetParam()->options.empty()) return GetParam()->options;
  const char* options = std::getenv("LIO_CONFORMANCE_OPTIONS");
  return options != nullptr ? options : "";
}

void ConformanceTest::TearDown() {
  if (backend_ && !in_flight_.empty() && !HasFailure()) {
    ADD_FAILURE() << "suite bug: the case left " << in_flight_.size() << " operation(s) in flight:"
                  << DescribeIds(in_flight_);
  }
  DestroyBackend();
  for (lio_handle h : owned_handles_) platform::CloseHandle(h);
  owned_handles_.clear();
  temp_dir_.reset();
  kept_.clear();
}

bool ConformanceTest::Reopen(const BackendOptions& options) {
  DestroyBackend();
  completed_.clear();
  pushed_.clear();
  streams_.clear();
  BackendOptions with_flags = options;
  with_flags.flags |= ConfigFlags();
  auto created = Backend::Create(info(), with_flags);
  if (!created) {
    ADD_FAILURE() << "create(capacity " << options.capacity << ") failed: " << created.error().message;
    return false;
  }
  backend_.emplace(std::move(created).value());
  return true;
}

void ConformanceTest::DestroyBackend() {
  backend_.reset();
  in_flight_.clear();
}

lio_handle ConformanceTest::Own(lio_handle h) {
  if (h >= 0) owned_handles_.push_back(h);
  return h;
}

// ---- files and sockets ------------------------------------------------------

const std::filesystem::path& ConformanceTest::TempPath() {
  if (!temp_dir_) temp_dir_.emplace();
  return temp_dir_->path();
}

std::filesystem::path ConformanceTest::WriteFile(std::string_view name, std::string_view content) {
  std::filesystem::path path = TempPath() / name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  EXPECT_TRUE(out.good()) << "cannot write " << path;
  return path;
}

std::string ConformanceTest::ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

lio_handle ConformanceTest::OpenOwned(const std::filesystem::path& path, platform::Access access) {
  lio_handle h = platform::OpenFile(path, access);
  EXPECT_GE(h, 0) << "cannot open " << path;
  return Own(h);
}

Listener ConformanceTest::OwnedListener() {
  Listener listener = LoopbackListener();
  EXPECT_GE(listener.handle, 0) << "cannot listen on loopback";
  Own(listener.handle);
  return listener;
}

TcpPair ConformanceTest::OwnedTcpPair() {
  TcpPair pair = ConnectedTcpPair();
  EXPECT_TRUE(pair.ok()) << "cannot connect a TCP pair over loopback";
  Own(pair.tested);
  Own(pair.peer);
  return pair;
}

UdpSocket ConformanceTest::OwnedUdpSocket() {
  UdpSocket socket = BoundUdpSocket();
  EXPECT_GE(socket.handle, 0) << "cannot bind a UDP socket on loopback";
  Own(socket.handle);
  return socket;
}

// ---- submitting ------------------------------------------------------------

Result ConformanceTest::Push(uint64_t id, const lio_op& op) {
  std::error_code error = backend_->push(id, op);
  if (error) return Result{-error.value()};
  in_flight_.insert(id);
  completed_.erase(id);
  pushed_[id] = Pushed{op.code, op.flags};
  streams_[id].clear();
  return Result{0};
}

uint64_t ConformanceTest::PushNew(const lio_op& op) {
  uint64_t id = NextId();
  Result pushed = Push(id, op);
  EXPECT_EQ(pushed, 0) << "push of " << op_name(op.code) << " refused";
  return id;
}

int ConformanceTest::Flush() {
  Expected<int> flushed = backend_->flush();
  if (!flushed) {
    ADD_FAILURE() << "flush failed: " << flushed.error().message();
    return -1;
  }
  return *flushed;
}

Result ConformanceTest::Complete(const lio_op& op) {
  uint64_t id = NextId();
  Result pushed = Push(id, op);
  if (pushed != 0) {
    ADD_FAILURE() << "push of " << op_name(op.code) << " refused: " << ::testing::PrintToString(pushed);
    return kNoCompletion;
  }
  Flush();
  return WaitForId(id);
}

Result ConformanceTest::Cancel(uint64_t id) {
  std::error_code error = backend_->cancel(id);
  return Result{error ? -error.value() : 0};
}

bool ConformanceTest::AnswersUnknownId(Result cancelled) {
  if (cancelled == -LIO_ENOENT) return true;
  return (ConfigFlags() & LIO_CONFIG_UNIQUE_IDS) != 0 && cancelled == 0;
}

// ---- reaping ---------------------------------------------------------------

// The completion flags an op may carry: none for the 1.0 codes; MORE on the
// multi-completion codes, BUFFER (and its id) where a buffer group is read
// into, NOTIF on SEND_ZC.
static uint32_t AllowedFlags(uint32_t code, uint32_t op_flags) {
  constexpr uint32_t kBuffer = LIO_COMPLETION_BUFFER | 0xffff0000u;
  switch (code) {
    case LIO_OP_ACCEPT_MULTI: return LIO_COMPLETION_MORE;
    case LIO_OP_RECV_MULTI: return LIO_COMPLETION_MORE | kBuffer;
    case LIO_OP_SEND_ZC: return LIO_COMPLETION_MORE | LIO_COMPLETION_NOTIF;
    case LIO_OP_RECV: return (op_flags & LIO_RECV_BUFFER_SELECT) ? kBuffer : 0;
    default: return 0;
  }
}

void ConformanceTest::CheckFlags(const lio_completion& c) const {
  if (c.flags == 0) return;
  auto pushed = pushed_.find(c.id);
  if (pushed == pushed_.end()) return;  // Observe reports an unknown id
  const uint32_t code = pushed->second.code;
  const uint32_t stray = c.flags & ~AllowedFlags(code, pushed->second.flags);
  if (stray == 0) {
    if ((c.flags & 0xffff0000u) != 0 && (c.flags & LIO_COMPLETION_BUFFER) == 0) {
      ADD_FAILURE() << "[completion.flags_zero] id 0x" << std::hex << c.id << " has a buffer id (flags 0x" << c.flags
                    << ") without LIO_COMPLETION_BUFFER";
    }
    return;
  }
  if (stray & LIO_COMPLETION_MORE) {
    ADD_FAILURE() << "[multishot.more] id 0x" << std::hex << c.id << " (" << op_name(code)
                  << ") carries LIO_COMPLETION_MORE, which only ACCEPT_MULTI, RECV_MULTI and SEND_ZC may";
  } else {
    ADD_FAILURE() << "[completion.flags_zero] id 0x" << std::hex << c.id << " (" << op_name(code) << ") has flags 0x"
                  << c.flags << "; bits 0x" << stray << " are not ones its code may carry";
  }
}

void ConformanceTest::Observe(const lio_completion& c) {
  CheckFlags(c);
  if (c.flags & LIO_COMPLETION_MORE) {
    // [multishot.final_once]: a stream's completions all come before its
    // final one; the id stays in flight.
    if (in_flight_.contains(c.id)) {
      streams_[c.id].push_back(c);
      return;
    }
  } else if (in_flight_.erase(c.id) == 1) {
    streams_[c.id].push_back(c);
    completed_[c.id] = c.result;
    return;
  }
  // Fatal: once completions cannot be trusted, waiting on is pointless.
  if (completed_.contains(c.id)) {
    GTEST_FAIL() << "[wait.exactly_once] id 0x" << std::hex << c.id << std::dec << " completed a second time (result "
                 << ::testing::PrintToString(Result{c.result}) << ")";
  }
  GTEST_FAIL() << "[completion.id] completion for id 0x" << std::hex << c.id << std::dec
               << ", which was never pushed (result " << ::testing::PrintToString(Result{c.result}) << ")";
}

std::vector<lio_completion> ConformanceTest::WaitOnce(Backend::Timeout timeout) {
  std::span<const lio_completion> batch = WaitInPlace(timeout);
  return std::vector<lio_completion>(batch.begin(), batch.end());
}

std::span<const lio_completion> ConformanceTest::WaitInPlace(Backend::Timeout timeout) {
  nanoseconds bound = (timeout ? *timeout : kDeadline) + kLateSlack;
  wait_guard_.Arm(*backend_, Clock::now() + bound);
  auto batch = backend_->wait(timeout);
  if (wait_guard_.Disarm()) {
    if (timeout) {
      ADD_FAILURE() << "[wait.duration] wait(" << Ms(*timeout) << " ms) had not returned after " << Ms(bound)
                    << " ms; the suite woke it";
    } else {
      ADD_FAILURE() << "wait() with no timeout had returned nothing after " << Ms(bound)
                    << " ms; the suite woke it (an operation never completed)";
    }
  }
  if (!batch) {
    ADD_FAILURE() << "wait failed: " << batch.error().message();
    return {};
  }
  for (const lio_completion& c : *batch) Observe(c);
  return *batch;
}

std::vector<lio_completion> ConformanceTest::WaitFor(size_t n, nanoseconds deadline) {
  std::vector<lio_completion> got;
  Clock::time_point end = Clock::now() + deadline;
  while (got.size() < n) {
    nanoseconds left = end - Clock::now();
    if (left <= nanoseconds(0)) break;
    std::vector<lio_completion> batch = WaitOnce(left);
    got.insert(got.end(), batch.begin(), batch.end());
    if (HasFatalFailure()) break;
  }
  if (got.size() < n) {
    ADD_FAILURE() << "[wait.exactly_once] expected " << n << " completion(s) within "
                  << std::chrono::duration_cast<milliseconds>(deadline).count() << " ms, got " << got.size()
                  << "; still in flight:" << DescribeIds(in_flight_);
  }
  return got;
}

Result ConformanceTest::WaitForId(uint64_t id, nanoseconds deadline) {
  Clock::time_point end = Clock::now() + deadline;
  while (in_flight_.contains(id) && !HasFatalFailure()) {
    nanoseconds left = end - Clock::now();
    if (left <= nanoseconds(0)) {
      ADD_FAILURE() << "[wait.exactly_once] id 0x" << std::hex << id << std::dec << " did not complete within "
                    << std::chrono::duration_cast<milliseconds>(deadline).count() << " ms";
      return kNoCompletion;
    }
    WaitOnce(left);
  }
  if (in_flight_.contains(id)) return kNoCompletion;  // the invariants failed while waiting
  std::optional<Result> result = result_of(id);
  if (!result) {
    ADD_FAILURE() << "suite bug: waited for id 0x" << std::hex << id << ", which was not pushed";
    return kNoCompletion;
  }
  return *result;
}

std::vector<lio_completion> ConformanceTest::ReapFor(nanoseconds duration) {
  std::vector<lio_completion> got;
  Clock::time_point end = Clock::now() + duration;
  for (nanoseconds left = duration; left > nanoseconds(0) && !HasFatalFailure(); left = end - Clock::now()) {
    std::vector<lio_completion> batch = WaitOnce(left);
    got.insert(got.end(), batch.begin(), batch.end());
  }
  return got;
}

const std::vector<lio_completion>& ConformanceTest::completions_of(uint64_t id) const {
  static const std::vector<lio_completion> kNone;
  auto it = streams_.find(id);
  return it == streams_.end() ? kNone : it->second;
}

std::optional<Result> ConformanceTest::result_of(uint64_t id) const {
  auto it = completed_.find(id);
  if (it == completed_.end()) return std::nullopt;
  return Result{it->second};
}

}  // namespace lio::testing
