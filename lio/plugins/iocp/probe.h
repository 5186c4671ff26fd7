// Can the iocp backend run here, and if not, why — in a sentence a user can
// act on. Completion ports exist on every Windows the plugin loads on; what
// can be missing is Winsock 2.2.
#ifndef LIO_PLUGINS_IOCP_PROBE_H_
#define LIO_PLUGINS_IOCP_PROBE_H_

#include <cstddef>

namespace lio::iocp {

// The vtable's probe: 0, or a negative LIO_E* code with the reason written
// to `why` (truncated to why_size, always NUL-terminated when why_size > 0).
int Probe(char* why, size_t why_size);

}  // namespace lio::iocp

#endif  // LIO_PLUGINS_IOCP_PROBE_H_
