#include "tools/cli/shown_path.h"

#include <unistd.h>

#include <filesystem>

#include "gtest/gtest.h"

namespace lio::cli {
namespace {
namespace fs = std::filesystem;

class ShownPathTest : public testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::path(testing::TempDir()) / ("shown_path_" + std::to_string(getpid()));
    fs::create_directories(root_ / "repo");
    fs::create_directories(root_ / "cache/execroot/out/k8/bin");
    fs::create_directory_symlink(root_ / "cache/execroot/out/k8/bin", root_ / "repo/bazel-bin");
    fs::create_directory_symlink(root_ / "cache/execroot/out", root_ / "repo/bazel-out");
  }
  void TearDown() override { fs::remove_all(root_); }
  std::string Repo() const { return (root_ / "repo").string(); }
  std::string Cache(const std::string& rest) const { return (root_ / "cache/execroot" / rest).string(); }
  fs::path root_;
};

TEST_F(ShownPathTest, BuiltPluginShowsUnderBazelBin) {
  EXPECT_EQ(ShownPath(Cache("out/k8/bin/lio/plugins/x/liblio_x.so"), Repo(), ""),
            "bazel-bin/lio/plugins/x/liblio_x.so");
}

TEST_F(ShownPathTest, OtherConfigurationShowsUnderBazelOut) {
  EXPECT_EQ(ShownPath(Cache("out/k8-opt/bin/liblio_x.so"), Repo(), ""), "bazel-out/k8-opt/bin/liblio_x.so");
}

TEST_F(ShownPathTest, FileOfTheRepositoryIsRelative) {
  EXPECT_EQ(ShownPath(Repo() + "/examples/p/liblio_p.so", Repo(), ""), "examples/p/liblio_p.so");
}

TEST_F(ShownPathTest, HomeIsShortened) {
  EXPECT_EQ(ShownPath("/home/ann/.cache/lio/liblio_x.so", "", "/home/ann"), "~/.cache/lio/liblio_x.so");
}

TEST_F(ShownPathTest, ElsewhereStaysFull) {
  EXPECT_EQ(ShownPath("/usr/local/lib/lio/liblio_x.so", Repo(), "/home/ann"), "/usr/local/lib/lio/liblio_x.so");
  EXPECT_EQ(ShownPath("/home/annex/liblio_x.so", "", "/home/ann"), "/home/annex/liblio_x.so");
}

}  // namespace
}  // namespace lio::cli
