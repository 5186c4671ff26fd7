// Errors of the core: std::error_code in lio's category (Linux errno
// numbering on every OS, like the plugin ABI), and lio::Error — a code plus a
// message that tells the user what to do — for set-up failures.
#ifndef LIO_CORE_ERROR_H_
#define LIO_CORE_ERROR_H_

#include <string>
#include <system_error>

namespace lio {

// The category of every code a backend returns. value() is the positive
// LIO_E* number; message() names it the same way on every OS.
const std::error_category& error_category() noexcept;

// From a negative ABI result (-LIO_EBADF) to an error_code; 0 or positive is
// success (an empty code).
inline std::error_code make_error(long long negative_result) noexcept {
  if (negative_result >= 0) return {};
  return {static_cast<int>(-negative_result), error_category()};
}

// "EBADF": the symbolic name of a code, for messages and test output.
const char* error_name(int lio_errno) noexcept;

// A set-up failure (loading a plugin, opening a backend).
struct Error {
  std::error_code code;
  std::string message;  // complete sentence(s), saying what to do
};

}  // namespace lio

#endif  // LIO_CORE_ERROR_H_
