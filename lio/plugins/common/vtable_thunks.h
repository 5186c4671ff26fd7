// VtableThunks<Backend>: the C function pointers of a lio_backend_vtable,
// forwarding to a C++ backend class whose instances are the opaque
// lio_backend*. Backend provides push/flush/wait/cancel/wake with the ABI's
// signatures (minus the instance) and must not throw; create and probe stay
// with each plugin.
//
// Plugin-side helper; nothing here crosses the ABI.
#ifndef LIO_PLUGINS_COMMON_VTABLE_THUNKS_H_
#define LIO_PLUGINS_COMMON_VTABLE_THUNKS_H_

#include <cstdint>

#include "lio/core/plugin_abi.h"

namespace lio::plugin {

template <class Backend>
struct VtableThunks {
  static Backend* of(lio_backend* b) noexcept { return reinterpret_cast<Backend*>(b); }

  static void destroy(lio_backend* b) noexcept { delete of(b); }
  static int push(lio_backend* b, uint64_t id, const lio_op* op) noexcept { return of(b)->push(id, op); }
  static int flush(lio_backend* b) noexcept { return of(b)->flush(); }
  static int wait(lio_backend* b, int64_t timeout_ns, const lio_completion** out) noexcept {
    return of(b)->wait(timeout_ns, out);
  }
  static int cancel(lio_backend* b, uint64_t id) noexcept { return of(b)->cancel(id); }
  static int wake(lio_backend* b) noexcept { return of(b)->wake(); }
};

}  // namespace lio::plugin

#endif  // LIO_PLUGINS_COMMON_VTABLE_THUNKS_H_
