#include "lio/plugins/iocp/probe.h"

#include <winsock2.h>
#include <windows.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "lio/plugins/iocp/errno_map.h"

namespace lio::iocp {

int Probe(char* why, size_t why_size) {
  WSADATA data;
  int rc = WSAStartup(MAKEWORD(2, 2), &data);
  if (rc != 0) {
    if (why != nullptr && why_size > 0) {
      std::string_view text = "Winsock 2.2 could not be started (WSAStartup failed)";
      size_t n = (std::min)(text.size(), why_size - 1);
      std::memcpy(why, text.data(), n);
      why[n] = '\0';
    }
    return static_cast<int>(ErrorResult(static_cast<uint32_t>(rc)));
  }
  WSACleanup();
  return 0;
}

}  // namespace lio::iocp
