// The core's Windows loader with the real plugin: LoadLibraryExW by full
// path, the lio_<name>.dll naming, ';'-separated LIO_PLUGIN_PATH, no search
// of the current directory, and one op end to end through lio::Backend.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <windows.h>

#include <filesystem>
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
  EXPECT_EQ((*found)->capabilities, LIO_CAP_ALL_OPS);
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

TEST(WindowsLoader, RefusesAFileThatIsNoDll) {
  fs::path text = fs::temp_directory_path() / "lio_not_a_plugin.dll";
  FILE* f = _wfopen(text.wstring().c_str(), L"w");
  ASSERT_NE(f, nullptr);
  fputs("not a DLL", f);
  fclose(f);
  Registry registry(std::vector<fs::path>{});
  auto names = registry.LoadPlugin(text);
  ASSERT_FALSE(names);
  EXPECT_NE(names.error().message.find("could not be loaded as a shared library"), std::string::npos)
      << names.error().message;
  fs::remove(text);
}

}  // namespace
}  // namespace lio
