// The hostile-plugin corpus: every file here attacks the loader one way, and
// the host must refuse it with a message naming the file and the reason —
// never crash, never hang, never let one bad file stop a good plugin beside
// it from loading. Each attempt runs in a child process with a deadline, so
// a crash or a hang fails its case instead of the whole test.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "lio/core/registry.h"

namespace lio {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

// A hang is any attempt longer than this (the FIFO hang it guards against
// was over 120 s; a refusal takes milliseconds).
constexpr auto kDeadline = std::chrono::seconds(30);

// ---- running one attempt in a child ----------------------------------------

struct Outcome {
  bool finished = false;  // exited by itself before the deadline
  bool hung = false;      // killed at the deadline
  int exit_code = -1;
  int signal = 0;
  std::string output;  // what the attempt returned, then the child's stderr
};

std::string Describe(const Outcome& o) {
  if (o.hung) return "still running after " + std::to_string(kDeadline.count()) + " s (a hang), output:\n" + o.output;
  if (o.signal != 0) return "killed by signal " + std::to_string(o.signal) + ", output:\n" + o.output;
  return "exit " + std::to_string(o.exit_code) + ", output:\n" + o.output;
}

void ReadUntilEofOrDeadline(int fd, pid_t child, Outcome* outcome) {
  auto deadline = std::chrono::steady_clock::now() + kDeadline;
  char chunk[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      kill(child, SIGKILL);
      outcome->hung = true;
      return;
    }
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n <= 0) return;
    outcome->output.append(chunk, static_cast<size_t>(n));
  }
}

// Runs `attempt` in a child process; its result and its stderr come back.
Outcome InChild(const std::function<std::string()>& attempt) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return {};
  std::fflush(nullptr);
  pid_t child = fork();
  if (child == 0) {
    close(pipe_fds[0]);
    dup2(pipe_fds[1], STDERR_FILENO);
    std::string result = attempt() + "\n";
    (void)!write(pipe_fds[1], result.data(), result.size());
    _exit(0);
  }
  close(pipe_fds[1]);
  Outcome outcome;
  ReadUntilEofOrDeadline(pipe_fds[0], child, &outcome);
  close(pipe_fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  if (WIFSIGNALED(status)) outcome.signal = WTERMSIG(status);
  if (WIFEXITED(status)) {
    outcome.finished = outcome.signal == 0;
    outcome.exit_code = WEXITSTATUS(status);
  }
  return outcome;
}

// ---- the corpus --------------------------------------------------------------

fs::path BuiltPlugin(const std::string& name) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  return fs::path(srcdir ? srcdir : ".") / "lio/lio/testing/hostile" / Registry::PluginFileName(name);
}

fs::path NewDir(const std::string& name, fs::perms perms = fs::perms(0755)) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  fs::path dir = fs::path(tmp ? tmp : "/tmp") / "hostile" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::permissions(dir, perms);
  return dir;
}

// A copy the test owns, with the permissions a build would give it.
fs::path CopyOf(const fs::path& from, const fs::path& to, fs::perms perms = fs::perms(0755)) {
  fs::copy_file(from, to, fs::copy_options::overwrite_existing);
  fs::permissions(to, perms);
  return to;
}

void WriteBytes(const fs::path& file, const std::string& bytes) {
  std::ofstream(file, std::ios::binary) << bytes;
  fs::permissions(file, fs::perms(0755));
}

std::string ReadBytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The good plugin with one header byte changed (e_machine, EI_CLASS).
void WritePatched(const fs::path& file, size_t offset, unsigned char value) {
  std::string bytes = ReadBytes(BuiltPlugin("hostile_good"));
  bytes[offset] = static_cast<char>(value);
  WriteBytes(file, bytes);
}

#if defined(__x86_64__)
constexpr unsigned char kOtherMachine = 183;  // AArch64
constexpr const char* kOtherMachineName = "AArch64";
#else
constexpr unsigned char kOtherMachine = 62;  // x86-64
constexpr const char* kOtherMachineName = "x86-64";
#endif
constexpr size_t kElfMachineOffset = 18;  // e_machine, little-endian
constexpr size_t kElfClassOffset = 4;     // EI_CLASS
constexpr size_t kElfSectionTableOffset = 40;  // e_shoff of a 64-bit ELF header

// One corpus entry: a file, and what the refusal must say besides its name.
struct Hostile {
  std::string what;
  fs::path file;
  std::vector<std::string> reason;
};

// Files no compiler makes, made in `dir`.
std::vector<Hostile> MakeRuntimeCorpus(const fs::path& dir) {
  std::vector<Hostile> corpus;
  auto add = [&](std::string what, const std::string& name, std::vector<std::string> reason) {
    corpus.push_back({std::move(what), dir / Registry::PluginFileName(name), std::move(reason)});
    return corpus.back().file;
  };
  WriteBytes(add("empty file", "empty", {"too short to be a shared library (0 bytes)"}), "");
  WriteBytes(add("text file", "text", {"not a shared library", "ELF magic number"}), "not a plugin\n");
  std::string first_4k = ReadBytes(BuiltPlugin("hostile_good")).substr(0, 4096);
  WriteBytes(add("truncated ELF (first 4 KiB)", "truncated",
                 {"truncated: its section header table ends past the end of the file (4096 bytes)"}),
             first_4k);
  // dlopen needs no section headers: without them the segments are what
  // must be caught (this is the file that made dlopen die of SIGBUS).
  first_4k.replace(kElfSectionTableOffset, 8, 8, '\0');
  WriteBytes(add("truncated ELF, no section headers", "truncated_segments",
                 {"truncated: its segment", "ends past the end of the file (4096 bytes)"}),
             first_4k);
  WritePatched(add("ELF for another machine", "other_machine", {std::string("built for ") + kOtherMachineName}),
               kElfMachineOffset, kOtherMachine);
  WritePatched(add("32-bit ELF", "other_class", {"a 32-bit ELF file", "this program is 64-bit"}), kElfClassOffset, 1);
  mkfifo(add("FIFO", "fifo", {"is a FIFO (named pipe), not a regular file"}).c_str(), 0644);
  fs::create_directory(add("directory", "directory", {"is a directory"}));
  fs::path loop = add("symlink loop", "loop", {"loop of symbolic links"});
  fs::create_symlink(dir / "liblio_loop2.so", loop);
  fs::create_symlink(loop, dir / "liblio_loop2.so");
  fs::create_symlink(dir / "nowhere", add("dangling symlink", "dangling", {"does not exist"}));
  CopyOf(BuiltPlugin("hostile_good"), add("world-writable file", "writable", {"is writable by other users (mode 0777)", "chmod go-w"}),
         fs::perms(0777));
  CopyOf(BuiltPlugin("hostile_good"), add("group-writable file", "group_writable", {"is writable by other users (mode 0775)"}),
         fs::perms(0775));
  // Only root outside a user namespace can give a file away; elsewhere this
  // one case cannot be made, and says so.
  fs::path foreign = dir / "liblio_foreign.so";
  CopyOf(BuiltPlugin("hostile_good"), foreign);
  if (chown(foreign.c_str(), 65534, 65534) == 0) {
    corpus.push_back({"file owned by another user", foreign, {"is owned by user 65534, neither root nor you"}});
  } else {
    fs::remove(foreign);
    std::printf("not made: a file owned by another user (chown: %s)\n", std::strerror(errno));
  }
  return corpus;
}

// Plugins Bazel built, each refused at registration.
std::vector<Hostile> BuiltCorpus() {
  return {
      {"another ABI major version", BuiltPlugin("hostile_abi_major"), {"built for lio ABI 2.0", "this lio speaks ABI 1.1"}},
      {"NULL function pointers", BuiltPlugin("hostile_null_functions"), {"missing function in its vtable"}},
      {"NULL vtable", BuiltPlugin("hostile_null_vtable"), {"registered a null backend vtable"}},
      {"invalid backend name", BuiltPlugin("hostile_bad_name"), {"invalid name 'Bad Name!'"}},
      {"same name registered twice", BuiltPlugin("hostile_duplicate"), {"registered backend 'hostile_other' twice"}},
  };
}

std::string LoadInFreshRegistry(const fs::path& file) {
  Registry registry({NewDir("empty")});
  auto loaded = registry.LoadPlugin(file);
  return loaded ? "LOADED" : loaded.error().message;
}

void ExpectRefused(const Hostile& h, const Outcome& outcome) {
  SCOPED_TRACE(h.what + ": " + h.file.string());
  ASSERT_TRUE(outcome.finished) << Describe(outcome);
  EXPECT_EQ(outcome.exit_code, 0) << Describe(outcome);
  EXPECT_THAT(outcome.output, Not(HasSubstr("LOADED")));
  EXPECT_THAT(outcome.output, HasSubstr("'" + h.file.string() + "'"));
  for (const std::string& part : h.reason) EXPECT_THAT(outcome.output, HasSubstr(part));
  std::printf("refused %-30s %s", (h.what + ":").c_str(), outcome.output.c_str());
}

// ---- the cases ----------------------------------------------------------------

TEST(HostilePlugin, EachFileMadeAtRunTimeIsRefusedNamingTheFileAndTheReason) {
  for (const Hostile& h : MakeRuntimeCorpus(NewDir("runtime"))) {
    ExpectRefused(h, InChild([&] { return LoadInFreshRegistry(h.file); }));
  }
}

TEST(HostilePlugin, APluginInAWorldWritableDirectoryIsRefused) {
  fs::path dir = NewDir("open_dir", fs::perms(0777));
  Hostile h{"plugin in a world-writable directory", CopyOf(BuiltPlugin("hostile_good"), dir / "liblio_hostile_good.so"),
            {"its directory '" + dir.string() + "' is writable by other users (mode 0777)"}};
  ExpectRefused(h, InChild([&] { return LoadInFreshRegistry(h.file); }));
}

TEST(HostilePlugin, EachBrokenRegistrationIsRefusedNamingTheFileAndTheReason) {
  for (const Hostile& h : BuiltCorpus()) {
    ExpectRefused(h, InChild([&] { return LoadInFreshRegistry(h.file); }));
  }
}

TEST(HostilePlugin, ABackendNameAlreadyTakenIsRefused) {
  Hostile h{"backend name already taken", BuiltPlugin("hostile_name_taken"), {"backend 'hostile_good'", "already registered by"}};
  ExpectRefused(h, InChild([&]() -> std::string {
                  Registry registry({NewDir("empty")});
                  if (!registry.LoadPlugin(BuiltPlugin("hostile_good"))) return "the good plugin did not load";
                  auto loaded = registry.LoadPlugin(h.file);
                  return loaded ? "LOADED" : loaded.error().message;
                }));
}

// Loads `name`'s plugin and opens the backend: the probe decides.
std::string OpenByName(const std::string& name) {
  Registry registry({NewDir("empty")});
  auto loaded = registry.LoadPlugin(BuiltPlugin(name));
  if (!loaded) return "not loaded: " + loaded.error().message;
  auto backend = registry.Open(name);
  return backend ? "LOADED" : backend.error().message;
}

TEST(HostilePlugin, ARegistrarCalledAfterRegistrationReturnedRefusesWithEinval) {
  Hostile h{"register_backend called late", BuiltPlugin("hostile_late"), {}};
  Outcome outcome = InChild([] { return OpenByName("hostile_late"); });
  ASSERT_TRUE(outcome.finished) << Describe(outcome);
  EXPECT_THAT(outcome.output, HasSubstr("answered -22 through the kept pointer and -22 through a copy"));
  EXPECT_THAT(outcome.output, HasSubstr("lio: plugin '" + h.file.string() +
                                        "' called register_backend after its lio_plugin_register returned; "
                                        "refused with EINVAL"));
  EXPECT_THAT(outcome.output, Not(HasSubstr("hostile_late_second")));
  std::printf("refused %-30s %s", "late register_backend:", outcome.output.c_str());
}

TEST(HostilePlugin, AProbeWritingPastWhySizeIsCaughtAndItsBackendRefused) {
  Hostile h{"probe writing past why_size", BuiltPlugin("hostile_overrun"),
            {"backend 'hostile_overrun' cannot run here", "wrote past the end of the 512-byte message buffer"}};
  ExpectRefused(h, InChild([] { return OpenByName("hostile_overrun"); }));
}

TEST(HostilePlugin, AllowInsecurePluginsLiftsOnlyThePermissionRuleWithAWarning) {
  fs::path dir = NewDir("insecure_allowed");
  fs::path writable = CopyOf(BuiltPlugin("hostile_good"), dir / "liblio_hostile_good.so", fs::perms(0777));
  fs::path truncated = dir / "liblio_truncated.so";
  WriteBytes(truncated, ReadBytes(BuiltPlugin("hostile_good")).substr(0, 4096));
  Outcome outcome = InChild([&]() -> std::string {
    setenv("LIO_ALLOW_INSECURE_PLUGINS", "1", 1);
    std::string out = "writable: " + LoadInFreshRegistry(writable) + "\n";
    return out + "truncated: " + LoadInFreshRegistry(truncated);
  });
  ASSERT_TRUE(outcome.finished) << Describe(outcome);
  EXPECT_THAT(outcome.output, HasSubstr("writable: LOADED"));
  EXPECT_THAT(outcome.output, HasSubstr("lio: warning: loading plugin file '" + writable.string() +
                                        "' although the file"));
  EXPECT_THAT(outcome.output, HasSubstr("LIO_ALLOW_INSECURE_PLUGINS=1"));
  EXPECT_THAT(outcome.output, HasSubstr("truncated: plugin file '" + truncated.string() + "' is refused: it is truncated"));
}

// Every bad file of the corpus in one directory with the good plugin: the
// good one still resolves by name, by a name no file carries (which loads
// every file), and as "auto".
TEST(HostilePlugin, OneBadFileDoesNotPoisonResolution) {
  fs::path dir = NewDir("mixed");
  std::vector<Hostile> corpus = MakeRuntimeCorpus(dir);
  for (const char* name : {"hostile_good", "hostile_abi_major", "hostile_null_functions", "hostile_null_vtable",
                           "hostile_bad_name", "hostile_duplicate", "hostile_name_taken", "hostile_late",
                           "hostile_overrun"}) {
    CopyOf(BuiltPlugin(name), dir / Registry::PluginFileName(name));
  }
  Outcome outcome = InChild([&]() -> std::string {
    Registry registry({dir});
    auto by_name = registry.Find("hostile_good");
    if (!by_name) return "by name: " + by_name.error().message;
    auto unknown = registry.Find("no_such_backend");
    std::string out = "unknown: " + (unknown ? std::string("FOUND") : unknown.error().message) + "\n";
    auto automatic = registry.Open("auto");
    if (!automatic) return out + "auto: " + automatic.error().message;
    auto nop = automatic->push(1, Op::Nop());
    return out + "auto: " + std::string(automatic->name()) + (nop ? " push failed" : " push ok");
  });
  ASSERT_TRUE(outcome.finished) << Describe(outcome);
  EXPECT_THAT(outcome.output, HasSubstr("auto: hostile_good push ok"));
  EXPECT_THAT(outcome.output, HasSubstr("unknown backend 'no_such_backend'"));
  for (const Hostile& h : corpus) {
    EXPECT_THAT(outcome.output, HasSubstr("'" + h.file.string() + "'")) << h.what;
    for (const std::string& part : h.reason) EXPECT_THAT(outcome.output, HasSubstr(part)) << h.what;
  }
}

}  // namespace
}  // namespace lio
