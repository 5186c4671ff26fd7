#include "lio/plugins/io_uring/sq_thread.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "lio/plugins/common/clock.h"

namespace lio::io_uring_plugin {
namespace {

constexpr std::string_view kSqThreadName = "iou-sqp-";

bool is_sq_thread(const char* tid) {
  char path[96];
  std::snprintf(path, sizeof path, "/proc/self/task/%s/comm", tid);
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char name[32];
  const ssize_t n = read(fd, name, sizeof name);
  close(fd);
  return n > 0 && std::string_view(name, static_cast<size_t>(n)).starts_with(kSqThreadName);
}

}  // namespace

std::vector<int> sq_threads() {
  std::vector<int> found;
  DIR* tasks = opendir("/proc/self/task");
  if (tasks == nullptr) return found;
  while (dirent* entry = readdir(tasks)) {
    if (entry->d_name[0] != '.' && is_sq_thread(entry->d_name)) found.push_back(std::atoi(entry->d_name));
  }
  closedir(tasks);
  return found;
}

int new_sq_thread(const std::vector<int>& before, const std::vector<int>& after) {
  int appeared = -1;
  for (int tid : after) {
    if (std::find(before.begin(), before.end(), tid) != before.end()) continue;
    if (appeared != -1) return -1;  // two: which is ours cannot be told
    appeared = tid;
  }
  return appeared;
}

void wait_for_thread_exit(int tid, int64_t limit_ns) {
  if (tid <= 0) return;
  char path[64];
  std::snprintf(path, sizeof path, "/proc/self/task/%d", tid);
  const int64_t give_up_at = plugin::monotonic_ns() + limit_ns;
  struct stat info;
  while (stat(path, &info) == 0 && plugin::monotonic_ns() < give_up_at) {
    const timespec pause = {.tv_sec = 0, .tv_nsec = 1'000'000};
    nanosleep(&pause, nullptr);
  }
}

}  // namespace lio::io_uring_plugin
