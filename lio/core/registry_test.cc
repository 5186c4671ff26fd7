// The loader and registry: one test per way loading a backend can fail, each
// checking that the message says what is wrong and what to do.
#include "lio/core/registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace lio {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

fs::path FakeDir() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  return fs::path(srcdir ? srcdir : ".") / "lio/lio/core/testdata";
}
fs::path Fake(const std::string& name) { return FakeDir() / Registry::PluginFileName(name); }

// An empty directory, so tests choose exactly which plugins exist.
fs::path EmptyDir() {
  const char* tmp = std::getenv("TEST_TMPDIR");
  fs::path dir = fs::path(tmp ? tmp : "/tmp") / "empty_plugin_dir";
  fs::create_directories(dir);
  return dir;
}

class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) setenv(name, value, 1); else unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_) setenv(name_, old_->c_str(), 1); else unsetenv(name_);
  }
 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(Registry, LoadsAPluginByPathAndRunsABackend) {
  Registry registry({EmptyDir()});
  auto names = registry.LoadPlugin(Fake("fake_good"));
  ASSERT_TRUE(names) << names.error().message;
  ASSERT_EQ(names->size(), 1u);
  EXPECT_EQ((*names)[0], "fake_good");

  auto backend = registry.Open("fake_good", {.capacity = 2});
  ASSERT_TRUE(backend) << backend.error().message;
  EXPECT_EQ(backend->name(), "fake_good");
  EXPECT_FALSE(backend->push(7, Op::Nop()));
  EXPECT_FALSE(backend->push(8, Op::Nop()));
  EXPECT_EQ(backend->push(9, Op::Nop()), make_error(-LIO_EAGAIN)) << "capacity 2";
  EXPECT_EQ(backend->push(9, Op::Read(0, nullptr, 0)), make_error(-LIO_EOPNOTSUPP));
  ASSERT_EQ(*backend->flush(), 2);
  auto done = backend->wait(std::chrono::nanoseconds(0));
  ASSERT_TRUE(done);
  ASSERT_EQ(done->size(), 2u);
  EXPECT_EQ((*done)[0].id, 7u);
  EXPECT_EQ((*done)[1].id, 8u);
}

TEST(Registry, LoadingTheSameFileTwiceIsANoOp) {
  Registry registry({EmptyDir()});
  ASSERT_TRUE(registry.LoadPlugin(Fake("fake_good")));
  auto again = registry.LoadPlugin(Fake("fake_good"));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(registry.backends().size(), 1u);
}

TEST(Registry, UnknownNameListsBackendsFoundAndDirectoriesSearched) {
  Registry registry({EmptyDir(), FakeDir()});
  auto found = registry.Find("no_such_backend");
  ASSERT_FALSE(found);
  const std::string& m = found.error().message;
  EXPECT_EQ(found.error().code, make_error(-LIO_ENOENT));
  EXPECT_THAT(m, HasSubstr("unknown backend 'no_such_backend'"));
  EXPECT_THAT(m, HasSubstr("fake_good"));
  EXPECT_THAT(m, HasSubstr(EmptyDir().string()));
  EXPECT_THAT(m, HasSubstr(FakeDir().string()));
  EXPECT_THAT(m, HasSubstr("LIO_PLUGIN_PATH"));
}

TEST(Registry, NonexistentFileSaysSo) {
  Registry registry({EmptyDir()});
  auto loaded = registry.LoadPlugin("/nonexistent/liblio_x.so");
  ASSERT_FALSE(loaded);
  EXPECT_THAT(loaded.error().message, HasSubstr("does not exist"));
}

TEST(Registry, NotASharedLibrarySaysSo) {
  Registry registry({EmptyDir()});
  auto loaded = registry.LoadPlugin(Fake("fake_text"));
  ASSERT_FALSE(loaded);
  EXPECT_THAT(loaded.error().message, HasSubstr("is refused: it is not a shared library"));
  EXPECT_THAT(loaded.error().message, HasSubstr("liblio_fake_text.so"));
}

TEST(Registry, LibraryWithoutEntryPointIsNotAPlugin) {
  Registry registry({EmptyDir()});
  auto loaded = registry.LoadPlugin(Fake("fake_nosym"));
  ASSERT_FALSE(loaded);
  EXPECT_THAT(loaded.error().message, HasSubstr("does not export lio_plugin_register"));
  EXPECT_THAT(loaded.error().message, HasSubstr("not a lio plugin"));
}

TEST(Registry, OtherAbiMajorIsRefusedNamingBothVersions) {
  Registry registry({EmptyDir()});
  auto loaded = registry.LoadPlugin(Fake("fake_abi2"));
  ASSERT_FALSE(loaded);
  EXPECT_THAT(loaded.error().message, HasSubstr("built for lio ABI 2.3"));
  EXPECT_THAT(loaded.error().message, HasSubstr("this lio speaks ABI 1.1"));
  EXPECT_THAT(loaded.error().message, HasSubstr("rebuild the plugin"));
  EXPECT_TRUE(registry.backends().empty()) << "nothing of a refused plugin stays registered";
}

// [abi.minor_compatible]: a 1.0 plugin loads; the host reads nothing past its
// vtable's end and keeps only the codes 1.0 defines.
TEST(Registry, AbiOneZeroVtableLoadsAndIsReadOnlyToItsEnd) {
  Registry registry({EmptyDir()});
  auto loaded = registry.LoadPlugin(Fake("fake_abi10"));
  ASSERT_TRUE(loaded) << loaded.error().message;
  auto found = registry.Find("fake_abi10");
  ASSERT_TRUE(found);
  EXPECT_EQ((*found)->capabilities, LIO_CAP(LIO_OP_NOP)) << "bit 18+ of a 1.0 vtable is not a code it knows";
  EXPECT_EQ((*found)->ext.features, 0u) << "features lie past a 1.0 vtable's end";
  EXPECT_FALSE((*found)->native_ops());
  auto backend = Backend::Create(**found);
  ASSERT_TRUE(backend) << backend.error().message;
  lio_handle none = LIO_INVALID_HANDLE;
  EXPECT_EQ(backend->register_files({&none, 1}), make_error(-LIO_EOPNOTSUPP));
}

// [register.features]: a declared feature without its calls is refused.
TEST(Registry, FeatureWithoutItsCallsIsRefused) {
  Registry registry({EmptyDir()});
  auto loaded = registry.LoadPlugin(Fake("fake_feature_nocalls"));
  ASSERT_FALSE(loaded);
  EXPECT_THAT(loaded.error().message, HasSubstr("fixed files (register_files)"));
  EXPECT_THAT(loaded.error().message, HasSubstr("without its calls"));
  EXPECT_TRUE(registry.backends().empty());
}

TEST(Registry, RegistrationErrorIsReported) {
  Registry registry({EmptyDir()});
  auto loaded = registry.LoadPlugin(Fake("fake_regfail"));
  ASSERT_FALSE(loaded);
  EXPECT_THAT(loaded.error().message, HasSubstr("lio_plugin_register in"));
  EXPECT_THAT(loaded.error().message, HasSubstr("failed with EIO"));
}

TEST(Registry, SameBackendNameTwiceIsRefused) {
  Registry registry({EmptyDir()});
  ASSERT_TRUE(registry.LoadPlugin(Fake("fake_good")));
  auto dup = registry.LoadPlugin(Fake("fake_dup"));
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, make_error(-LIO_EEXIST));
  EXPECT_THAT(dup.error().message, HasSubstr("backend 'fake_good'"));
  EXPECT_THAT(dup.error().message, HasSubstr("already registered by"));
  EXPECT_THAT(dup.error().message, HasSubstr("liblio_fake_good.so"));
  EXPECT_EQ(registry.backends().size(), 1u);
}

TEST(Registry, APluginLookingUpABackendWhileRegisteringDoesNotLoadItselfAgain) {
  fs::path dir = EmptyDir().parent_path() / "reentrant_dir";
  fs::create_directories(dir);
  fs::copy_file(Fake("fake_reentrant"), dir / Registry::PluginFileName("fake_reentrant"),
                fs::copy_options::overwrite_existing);
  Registry registry({dir});
  auto found = registry.Find("fake_reentrant");
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(registry.backends().size(), 1u);
}

TEST(Registry, FailedProbeSaysWhy) {
  Registry registry({EmptyDir()});
  ASSERT_TRUE(registry.LoadPlugin(Fake("fake_better")));
  auto backend = registry.Open("fake_better");
  ASSERT_FALSE(backend);
  EXPECT_EQ(backend.error().code, make_error(-LIO_ENOSYS));
  EXPECT_THAT(backend.error().message, HasSubstr("backend 'fake_better' cannot run here"));
  EXPECT_THAT(backend.error().message, HasSubstr("switched off for this test"));
  EXPECT_THAT(backend.error().message, HasSubstr("LIO_BACKEND"));
}

TEST(Registry, AutoPicksTheBestBackendWhoseProbePasses) {
  Registry registry({EmptyDir()});
  ASSERT_TRUE(registry.LoadPlugin(Fake("fake_good")));
  ASSERT_TRUE(registry.LoadPlugin(Fake("fake_better")));  // higher priority, probe fails
  auto chosen = registry.Resolve("auto");
  ASSERT_TRUE(chosen) << chosen.error().message;
  EXPECT_EQ((*chosen)->name, "fake_good");
}

TEST(Registry, AutoWithEveryProbeFailingListsTheReasons) {
  Registry registry({EmptyDir()});
  ASSERT_TRUE(registry.LoadPlugin(Fake("fake_better")));
  auto chosen = registry.Resolve("auto");
  ASSERT_FALSE(chosen);
  EXPECT_THAT(chosen.error().message, HasSubstr("every probe failed"));
  EXPECT_THAT(chosen.error().message, HasSubstr("fake_better: the fake mechanism is switched off"));
}

TEST(Registry, AutoWithNoPluginsSaysWhereItLooked) {
  Registry registry({EmptyDir()});
  auto chosen = registry.Resolve("auto");
  ASSERT_FALSE(chosen);
  EXPECT_THAT(chosen.error().message, HasSubstr("no lio backend plugin found"));
  EXPECT_THAT(chosen.error().message, HasSubstr(EmptyDir().string()));
}

TEST(Registry, LioBackendEnvironmentChoosesForEmptyName) {
  ScopedEnv env("LIO_BACKEND", "fake_good");
  Registry registry({FakeDir()});
  auto chosen = registry.Resolve("");
  ASSERT_TRUE(chosen) << chosen.error().message;
  EXPECT_EQ((*chosen)->name, "fake_good");
}

TEST(Registry, FindLoadsThePluginNamedAfterTheBackend) {
  Registry registry({EmptyDir(), FakeDir()});
  auto found = registry.Find("fake_good");
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_THAT((*found)->plugin_path, HasSubstr("liblio_fake_good.so"));
  EXPECT_EQ(registry.backends().size(), 1u) << "only the named plugin was loaded";
}

TEST(Registry, LioPluginPathIsSearchedBeforeTheInstallDirectory) {
  ScopedEnv env("LIO_PLUGIN_PATH", "/a:/b::/c");
  auto dirs = Registry::DefaultSearchDirs();
  ASSERT_EQ(dirs.size(), 4u);
  EXPECT_EQ(dirs[0], "/a");
  EXPECT_EQ(dirs[1], "/b");
  EXPECT_EQ(dirs[2], "/c");
}

// A relative entry would name whatever directory the program starts in:
// refused, each with its name and the absolute form to write instead.
TEST(Registry, RelativeLioPluginPathEntriesAreRefusedByName) {
  ScopedEnv env("LIO_PLUGIN_PATH", "plugins:/abs::./here:../up");
  std::vector<Error> refused;
  auto dirs = Registry::DefaultSearchDirs(&refused);
  ASSERT_EQ(dirs.size(), 2u) << "only /abs, then the install directory";
  EXPECT_EQ(dirs[0], "/abs");
  ASSERT_EQ(refused.size(), 3u);
  EXPECT_THAT(refused[0].message, HasSubstr("LIO_PLUGIN_PATH entry 'plugins' is relative"));
  EXPECT_THAT(refused[0].message, HasSubstr("absolute path"));
  EXPECT_THAT(refused[0].message, HasSubstr((fs::current_path() / "plugins").string()));
  EXPECT_THAT(refused[1].message, HasSubstr("'./here'"));
  EXPECT_THAT(refused[2].message, HasSubstr("'../up'"));
  EXPECT_EQ(refused[0].code, make_error(-LIO_EINVAL));
  EXPECT_EQ(Registry::DefaultSearchDirs(), dirs) << "the same dirs when nobody asks why";
}

// Run from the directory that holds a plugin, a relative entry naming it
// loads nothing; the reason shows where a user looks: LoadAll's errors and
// the "unknown backend" message. The same directory written absolutely loads.
TEST(Registry, ARelativeEntryLoadsNothingFromTheCurrentDirectory) {
  const fs::path previous = fs::current_path();
  fs::current_path(FakeDir().parent_path());
  {
    ScopedEnv env("LIO_PLUGIN_PATH", FakeDir().filename().c_str());
    Registry registry;
    std::vector<Error> errors = registry.LoadAll();
    ASSERT_FALSE(errors.empty());
    EXPECT_THAT(errors[0].message, HasSubstr("LIO_PLUGIN_PATH entry 'testdata' is relative"));
    auto found = registry.Find("fake_good");
    ASSERT_FALSE(found) << "loaded from " << (*found)->plugin_path;
    EXPECT_THAT(found.error().message, HasSubstr("(skipped: LIO_PLUGIN_PATH entry 'testdata' is relative"));
  }
  {
    ScopedEnv env("LIO_PLUGIN_PATH", fs::absolute(FakeDir()).c_str());
    Registry registry;
    auto found = registry.Find("fake_good");
    EXPECT_TRUE(found) << found.error().message;
  }
  fs::current_path(previous);
}

TEST(Registry, ZeroCapacityIsRefused) {
  Registry registry({FakeDir()});
  auto backend = registry.Open("fake_good", {.capacity = 0});
  ASSERT_FALSE(backend);
  EXPECT_THAT(backend.error().message, HasSubstr("capacity must be at least 1"));
}

TEST(Error, CodesAreNamedTheSameOnEveryOs) {
  std::error_code ec = make_error(-LIO_ECANCELED);
  EXPECT_EQ(ec.value(), 125);
  EXPECT_THAT(ec.message(), HasSubstr("ECANCELED"));
  EXPECT_STREQ(error_name(-LIO_ETIME), "ETIME");
  EXPECT_FALSE(make_error(5));
}

// [register.name]: one rule, in plugin_abi.h, for the host, the kit and the suite.
TEST(BackendName, TheRuleOfTheHeader) {
  for (const char* good : {"io_uring", "poller", "chaos:io_uring", "my-backend", "x", "9p", "a:b-c_d"}) {
    EXPECT_TRUE(lio_backend_name_valid(good)) << good;
  }
  const std::string longest(LIO_BACKEND_NAME_MAX, 'a');
  EXPECT_TRUE(lio_backend_name_valid(longest.c_str()));
  const std::string too_long(LIO_BACKEND_NAME_MAX + 1, 'a');
  for (const char* bad : {"", "auto", "IO_URING", "_x", "-x", ":x", "a b", "a/b", "../x", "a.b", "é"}) {
    EXPECT_FALSE(lio_backend_name_valid(bad)) << bad;
  }
  EXPECT_FALSE(lio_backend_name_valid(too_long.c_str()));
  EXPECT_FALSE(lio_backend_name_valid(nullptr));
}

TEST(Registry, ADashedNameRegistersAndIsFoundByName) {
  Registry registry({EmptyDir(), FakeDir()});
  auto found = registry.Find("fake-dash");
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ((*found)->name, "fake-dash");
}

TEST(Registry, ANameAgainstTheRuleIsRefusedWithTheRule) {
  Registry registry({EmptyDir()});
  auto loaded = registry.LoadPlugin(Fake("fake_badname"));
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, make_error(-LIO_EINVAL));
  EXPECT_THAT(loaded.error().message, HasSubstr("invalid name '_fake_badname'"));
  EXPECT_THAT(loaded.error().message, HasSubstr("beginning with a letter or digit"));
}

TEST(Registry, FindRefusesWhatIsNotANameAndSearchesNoPathForIt) {
  Registry registry({EmptyDir(), FakeDir()});
  for (const char* bad : {"../testdata/liblio_fake_good", "/etc/passwd", "Fake_good", ""}) {
    auto found = registry.Find(bad);
    ASSERT_FALSE(found) << bad;
    EXPECT_EQ(found.error().code, make_error(-LIO_EINVAL)) << bad;
    EXPECT_THAT(found.error().message, HasSubstr("is not a backend name")) << bad;
  }
  EXPECT_TRUE(registry.backends().empty()) << "nothing may be loaded while refusing";
}

}  // namespace
}  // namespace lio
