// The core's Windows loader with the real plugin: LoadLibraryExW by full
// path, the lio_<name>.dll naming, ';'-separated LIO_PLUGIN_PATH, no search
// of the current directory, and one op end to end through lio::Backend.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <windows.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "lio/core/backend.h"
#include "lio/core/op.h"
#include "lio/core/registry.h"

namespace lio {
namespace {

namespace fs = std::filesystem;

// Where Bazel put the plugin (a runfile, relative to the test's directory).
fs::path PluginPath() { return fs::absolute("lio/plugins/iocp/lio_iocp.dll"); }

TEST(WindowsLoader, NamesPluginsLioNameDll) { EXPECT_EQ(Registry::PluginFileName("iocp"), "lio_iocp.dll"); }

TEST(WindowsLoader, LoadsThePluginByFullPath) {
  ASSERT_TRUE(fs::exists(PluginPath())) << PluginPath();
  Registry registry(std::vector<fs::path>{});
  auto names = registry.LoadPlugin(PluginPath());
  ASSERT_TRUE(names) << names.error().message;
  ASSERT_EQ(names->size(), 1u);
  EXPECT_EQ(names->front(), "iocp");
}

TEST(WindowsLoader, FindsTheBackendInItsDirectory) {
  Registry registry({PluginPath().parent_path()});
  auto found = registry.Find("iocp");
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(fs::path((*found)->plugin_path).filename(), "lio_iocp.dll");
  // Every 1.0 operation; 1.1 adds some (bind, listen, ...).
  EXPECT_EQ((*found)->capabilities & LIO_CAP_OPS_1_0, LIO_CAP_OPS_1_0);
  EXPECT_TRUE((*found)->supports(LIO_OP_BIND) && (*found)->supports(LIO_OP_LISTEN));
  EXPECT_NE((*found)->capabilities & LIO_CAP(LIO_OP_ACCEPT_MULTI), 0u) << "1.1: multishot accept (re-armed AcceptEx)";
}

TEST(WindowsLoader, PluginPathIsSemicolonSeparated) {
  std::string value = "Z:\\no\\such\\dir;" + PluginPath().parent_path().string();
  ASSERT_EQ(_putenv_s("LIO_PLUGIN_PATH", value.c_str()), 0);
  std::vector<fs::path> dirs = Registry::DefaultSearchDirs();
  _putenv_s("LIO_PLUGIN_PATH", "");
  ASSERT_GE(dirs.size(), 2u);
  EXPECT_EQ(dirs[0], fs::path("Z:\\no\\such\\dir"));
  EXPECT_EQ(dirs[1], PluginPath().parent_path());
  Registry registry(dirs);
  auto found = registry.Find("iocp");
  EXPECT_TRUE(found) << found.error().message;
}

// A relative entry, or one relative to the current drive ("\\x"), names a
// directory chosen by wherever the program starts: refused, by name.
TEST(WindowsLoader, RelativePluginPathEntriesAreRefused) {
  std::string value = "plugins;\\lio_rooted;" + PluginPath().parent_path().string();
  ASSERT_EQ(_putenv_s("LIO_PLUGIN_PATH", value.c_str()), 0);
  std::vector<Error> refused;
  std::vector<fs::path> dirs = Registry::DefaultSearchDirs(&refused);
  _putenv_s("LIO_PLUGIN_PATH", "");
  ASSERT_EQ(dirs.size(), 2u) << "the absolute entry, then the install directory";
  EXPECT_EQ(dirs[0], PluginPath().parent_path());
  ASSERT_EQ(refused.size(), 2u);
  EXPECT_NE(refused[0].message.find("'plugins' is relative"), std::string::npos) << refused[0].message;
  EXPECT_NE(refused[1].message.find("'\\lio_rooted' is relative"), std::string::npos) << refused[1].message;
}

TEST(WindowsLoader, NeverLooksInTheCurrentDirectory) {
  wchar_t previous[MAX_PATH];
  GetCurrentDirectoryW(MAX_PATH, previous);
  ASSERT_TRUE(SetCurrentDirectoryW(PluginPath().parent_path().wstring().c_str()));
  fs::path empty = fs::temp_directory_path() / "lio_loader_test_empty";
  fs::create_directories(empty);
  Registry registry({empty});
  auto found = registry.Find("iocp");
  SetCurrentDirectoryW(previous);
  EXPECT_FALSE(found) << "lio_iocp.dll was found in the current directory, which is not on the search path";
  if (!found) EXPECT_EQ(found.error().code, make_error(-LIO_ENOENT));
}

TEST(WindowsLoader, RunsAnOpThroughTheBackend) {
  Registry registry({PluginPath().parent_path()});
  auto found = registry.Find("iocp");
  ASSERT_TRUE(found) << found.error().message;
  ProbeResult probe = Backend::Probe(**found);
  ASSERT_TRUE(probe.ok()) << probe.why;
  auto backend = Backend::Create(**found, {.capacity = 4});
  ASSERT_TRUE(backend) << backend.error().message;
  ASSERT_FALSE(backend->push(7, Op::Nop()));
  auto done = backend->wait(std::chrono::seconds(5));
  ASSERT_TRUE(done);
  ASSERT_EQ(done->size(), 1u);
  EXPECT_EQ((*done)[0].id, 7u);
  EXPECT_EQ((*done)[0].result, 0);
}

std::string ReadAll(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Writes `bytes` to a temporary lio_<name>.dll, loads it and returns the
// refusal (or "LOADED").
std::string LoadBytes(const std::string& name, const std::string& bytes) {
  fs::path file = fs::temp_directory_path() / ("lio_" + name + ".dll");
  std::ofstream(file, std::ios::binary) << bytes;
  Registry registry(std::vector<fs::path>{});
  auto names = registry.LoadPlugin(file);
  std::string message = names ? "LOADED" : names.error().message;
  fs::remove(file);
  return message;
}

TEST(WindowsLoader, RefusesAFileThatIsNoDll) {
  std::string message = LoadBytes("not_a_plugin", "not a DLL");
  EXPECT_NE(message.find("lio_not_a_plugin.dll' is refused: it is not a DLL (it does not start with the MZ"),
            std::string::npos)
      << message;
}

// The first 4 KiB of a real DLL: its sections end past the end of the file,
// which the loader would map regardless.
TEST(WindowsLoader, RefusesATruncatedDll) {
  std::string message = LoadBytes("truncated", ReadAll(PluginPath()).substr(0, 4096));
  EXPECT_NE(message.find("lio_truncated.dll' is refused: it is truncated: its section"), std::string::npos)
      << message;
}

TEST(WindowsLoader, RefusesADllForAnotherMachine) {
  std::string dll = ReadAll(PluginPath());
  ASSERT_GT(dll.size(), 0x40u);
  uint32_t pe = uint8_t(dll[0x3c]) | uint8_t(dll[0x3d]) << 8 | uint8_t(dll[0x3e]) << 16 | uint32_t(uint8_t(dll[0x3f])) << 24;
  ASSERT_LT(pe + 6, dll.size());
  dll[pe + 4] = char(0x64);  // IMAGE_FILE_MACHINE_ARM64 (0xaa64), little-endian
  dll[pe + 5] = char(0xaa);
  std::string message = LoadBytes("arm64", dll);
  EXPECT_NE(message.find("lio_arm64.dll' is refused: it is built for ARM64, but this machine is x86-64"),
            std::string::npos)
      << message;
}

}  // namespace
}  // namespace lio
