// Exercise: a short real workout of a backend opened by name — nop, a file
// created, written, read back and closed, and a timeout, all through the
// backend — so `lio backends` shows each one works, not only that it loads.
#ifndef LIO_TOOLS_CLI_EXERCISE_H_
#define LIO_TOOLS_CLI_EXERCISE_H_

#include <string>

#include "lio/core/registry.h"

namespace lio::cli {

struct ExerciseResult {
  bool ok = false;
  std::string summary;  // "nop, openat+write+read+close, timeout" or what failed
};

ExerciseResult Exercise(Registry& registry, const BackendInfo& info);

}  // namespace lio::cli

#endif  // LIO_TOOLS_CLI_EXERCISE_H_
