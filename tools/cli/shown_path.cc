#include "tools/cli/shown_path.h"

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <system_error>

namespace lio::cli {
namespace fs = std::filesystem;
namespace {

// `path` relative to `dir` when it lies inside it.
std::optional<std::string> Inside(const fs::path& path, const fs::path& dir) {
  if (dir.empty()) return std::nullopt;
  fs::path rel = path.lexically_relative(dir);
  if (rel.empty() || *rel.begin() == "..") return std::nullopt;
  return rel.string();
}

fs::path LinkTarget(const fs::path& link) {
  std::error_code ec;
  fs::path target = fs::read_symlink(link, ec);
  return ec ? fs::path() : target;
}

}  // namespace

std::string ShownPath(const std::string& path, const std::string& repo_root, const std::string& home) {
  fs::path p = fs::path(path).lexically_normal();
  if (!repo_root.empty()) {
    fs::path root(repo_root);
    // Bazel's convenience links in the repository name its output tree.
    for (const char* link : {"bazel-bin", "bazel-out"}) {
      if (auto rel = Inside(p, LinkTarget(root / link))) return std::string(link) + "/" + *rel;
    }
    if (auto rel = Inside(p, root)) return *rel;
  }
  if (auto rel = Inside(p, fs::path(home))) return "~/" + *rel;
  return path;
}

std::string ShownPath(const std::string& path) {
  const char* root = std::getenv("LIO_ROOT");
  const char* home = std::getenv("HOME");
  return ShownPath(path, root ? root : "", home ? home : "");
}

}  // namespace lio::cli
