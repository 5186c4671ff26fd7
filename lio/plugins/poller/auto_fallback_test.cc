// `auto` falls back to the poller where io_uring cannot run — shown twice:
// with the io_uring plugin's switch that makes its probe fail
// (LIO_IO_URING_FORCE_PROBE_FAILURE), and for real, in a child process whose
// seccomp filter makes io_uring_setup fail with EPERM, as a container
// runtime's default profile does. Both plugins are loaded from files through
// the core registry, as a program would.
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "lio/core/backend.h"
#include "lio/core/op.h"
#include "lio/core/registry.h"

namespace {

constexpr char kForceIoUringFailure[] = "LIO_IO_URING_FORCE_PROBE_FAILURE";

std::vector<std::filesystem::path> PluginDirs() {
  std::filesystem::path root = std::filesystem::path(std::getenv("TEST_SRCDIR")) / "lio/lio/plugins";
  return {root / "io_uring", root / "poller"};
}

// Sets an environment variable for one scope (or clears it: value nullptr).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    const char* old = std::getenv(name);
    if (old != nullptr) saved_ = old;
    had_value_ = old != nullptr;
    if (value != nullptr) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (had_value_) {
      setenv(name_, saved_.c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::string saved_;
  bool had_value_ = false;
};

std::string ResolvedName(lio::Registry& registry, std::string_view name) {
  auto info = registry.Resolve(name);
  if (!info) return "error: " + info.error().message;
  return (*info)->name;
}

TEST(AutoFallback, ForcedIoUringProbeFailurePicksPoller) {
  ScopedEnv backend("LIO_BACKEND", nullptr);
  ScopedEnv force(kForceIoUringFailure, "1");
  lio::Registry registry(PluginDirs());
  EXPECT_EQ(ResolvedName(registry, "auto"), "poller");

  auto io_uring = registry.Find("io_uring");
  ASSERT_TRUE(io_uring) << io_uring.error().message;
  lio::ProbeResult probe = lio::Backend::Probe(**io_uring);
  EXPECT_FALSE(probe.ok());
  EXPECT_FALSE(probe.why.empty()) << "a failed probe says why";
}

TEST(AutoFallback, WithoutTheSwitchAutoPicksIoUring) {
  ScopedEnv backend("LIO_BACKEND", nullptr);
  ScopedEnv force(kForceIoUringFailure, nullptr);
  lio::Registry registry(PluginDirs());
  auto io_uring = registry.Find("io_uring");
  ASSERT_TRUE(io_uring) << io_uring.error().message;
  lio::ProbeResult probe = lio::Backend::Probe(**io_uring);
  if (!probe.ok()) GTEST_SKIP() << "io_uring cannot run on this machine: " << probe.why;
  EXPECT_EQ(ResolvedName(registry, "auto"), "io_uring");
}

TEST(AutoFallback, LioBackendSelectsPoller) {
  ScopedEnv backend("LIO_BACKEND", "poller");
  ScopedEnv force(kForceIoUringFailure, nullptr);
  lio::Registry registry(PluginDirs());
  EXPECT_EQ(ResolvedName(registry, ""), "poller");
}

// --- the same, for real: a seccomp filter refuses io_uring_setup ------------

#if defined(__x86_64__)
constexpr uint32_t kAuditArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr uint32_t kAuditArch = AUDIT_ARCH_AARCH64;
#else
constexpr uint32_t kAuditArch = 0;  // the test skips itself
#endif

// Child exit codes.
enum ChildOutcome : int {
  kPickedPoller = 0,
  kPickedOther = 1,
  kNoBackend = 2,
  kNopFailed = 3,
  kSeccompUnavailable = 4,
  kIoUringStillWorks = 5,
};

// io_uring_setup -> EPERM; every other call allowed.
bool BlockIoUringSetup() {
  sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kAuditArch, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog program{static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return false;
  return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) == 0;
}

// In the child: block io_uring, then let `auto` choose and run a nop on it.
int ChooseUnderSeccomp() {
  if (!BlockIoUringSetup()) return kSeccompUnavailable;
  if (syscall(__NR_io_uring_setup, 1, nullptr) != -1 || errno != EPERM) return kIoUringStillWorks;
  lio::Registry registry(PluginDirs());
  auto info = registry.Resolve("auto");
  if (!info) return kNoBackend;
  if ((*info)->name != "poller") return kPickedOther;
  auto backend = lio::Backend::Create(**info, {.capacity = 8});
  if (!backend) return kNoBackend;
  if (backend->push(7, lio::Op::Nop())) return kNopFailed;
  auto done = backend->wait();
  if (!done || done->size() != 1 || (*done)[0].id != 7 || (*done)[0].result != 0) return kNopFailed;
  return kPickedPoller;
}

TEST(AutoFallback, SeccompBlockingIoUringSetupFallsBackToPoller) {
  if (kAuditArch == 0) GTEST_SKIP() << "no seccomp filter written for this architecture";
  ScopedEnv backend("LIO_BACKEND", nullptr);
  ScopedEnv force(kForceIoUringFailure, nullptr);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(ChooseUnderSeccomp());  // _exit: no gtest or leak-check teardown in the child
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << "child died with signal " << WTERMSIG(status);
  int outcome = WEXITSTATUS(status);
  if (outcome == kSeccompUnavailable) GTEST_SKIP() << "this process may not install a seccomp filter";
  EXPECT_NE(outcome, kIoUringStillWorks) << "the filter did not block io_uring_setup";
  EXPECT_NE(outcome, kPickedOther) << "auto did not pick the poller with io_uring blocked";
  EXPECT_NE(outcome, kNoBackend) << "no backend could be opened with io_uring blocked";
  EXPECT_NE(outcome, kNopFailed) << "the poller picked under seccomp did not run a nop";
  EXPECT_EQ(outcome, kPickedPoller);
}

}  // namespace
