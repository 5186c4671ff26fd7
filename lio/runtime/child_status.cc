// ChildStatusFromSiginfo: what waitid's siginfo_t says, for lio::waitid.
#include "lio/runtime/ops.h"

#if !defined(_WIN32)
#include <signal.h>
#endif

namespace lio::detail {

#if !defined(_WIN32)
static_assert(sizeof(siginfo_t) <= SocketAddress::kCapacity, "waitid's siginfo lives in the slot's address storage");
static_assert(alignof(siginfo_t) <= 8);

ChildStatus ChildStatusFromSiginfo(const void* siginfo) noexcept {
  const auto* info = static_cast<const siginfo_t*>(siginfo);
  return ChildStatus{.pid = info->si_pid, .code = info->si_code, .status = info->si_status};
}
#else
// No backend declares WAITID on Windows, so no success reaches here.
ChildStatus ChildStatusFromSiginfo(const void*) noexcept { return {}; }
#endif

}  // namespace lio::detail
