#include "lio/plugins/io_uring/kernel_support.h"

#include <liburing.h>

#include <bitset>
#include <cstdlib>
#include <mutex>

namespace lio::io_uring_plugin {
namespace {

using OpcodeSet = std::bitset<256>;

// Comma-separated opcode numbers of kHideOpcodesEnv; junk is skipped.
OpcodeSet hidden_opcodes() {
  OpcodeSet hidden;
  const char* text = std::getenv(kHideOpcodesEnv);
  while (text != nullptr && *text != '\0') {
    char* end = nullptr;
    const long number = std::strtol(text, &end, 10);
    if (end == text) {
      ++text;
      continue;
    }
    if (number >= 0 && number < 256) hidden.set(static_cast<size_t>(number));
    text = end;
  }
  return hidden;
}

OpcodeSet ask_kernel() {
  OpcodeSet known;
  io_uring_probe* probe = io_uring_get_probe();
  if (probe == nullptr) return known;  // no opcode list: everything new is emulated
  for (int opcode = 0; opcode < 256; ++opcode) {
    if (io_uring_opcode_supported(probe, opcode)) known.set(static_cast<size_t>(opcode));
  }
  io_uring_free_probe(probe);
  return known & ~hidden_opcodes();
}

}  // namespace

bool kernel_has_opcode(uint8_t opcode) noexcept {
  static std::once_flag asked;
  static OpcodeSet known;
  std::call_once(asked, [] { known = ask_kernel(); });
  return known.test(opcode);
}

}  // namespace lio::io_uring_plugin
