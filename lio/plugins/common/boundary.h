// The readers of everything that crosses the C boundary into a plugin, written
// once: the registrar (lio_plugin_register), the config (create), the op
// (push). Each checks struct_size, the ABI major and every field the contract
// constrains, so that every backend gives the same answer to the same input.
// The rules are the clauses of plugin_abi.h named beside each function.
//
// A struct from another minor version is read up to its own struct_size and
// its missing fields are zero; one too short to hold what ABI 1.0 requires
// is malformed (-LIO_EINVAL).
//
// Plugin-side helper (header-only, C++ standard library); nothing here
// crosses the ABI.
#ifndef LIO_PLUGINS_COMMON_BOUNDARY_H_
#define LIO_PLUGINS_COMMON_BOUNDARY_H_

#ifndef _WIN32
#include <fcntl.h>
#endif

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "lio/core/plugin_abi.h"

namespace lio::plugin {

// The bytes of a struct up to and including `member`.
#define LIO_PLUGIN_SIZE_THROUGH(type, member) (offsetof(type, member) + sizeof(((type*)nullptr)->member))

// ---- lio_registrar --------------------------------------------------------

// [register.registrar_checked]: 0 when `registrar` can be used to register
// backends: it reaches through register_backend, is of this ABI major and
// has that function. Otherwise -LIO_EINVAL, and the plugin registers nothing.
inline int read_registrar(const lio_registrar* registrar) noexcept {
  if (registrar == nullptr) return -LIO_EINVAL;
  if (registrar->struct_size < LIO_PLUGIN_SIZE_THROUGH(lio_registrar, register_backend)) return -LIO_EINVAL;
  if (LIO_ABI_MAJOR(registrar->abi_version) != LIO_ABI_VERSION_MAJOR) return -LIO_EINVAL;
  if (registrar->register_backend == nullptr) return -LIO_EINVAL;
  return 0;
}

// The registrar's host, or nullptr when it is too old to carry one (or has
// none, or the host itself is too short to hold find_backend).
inline const lio_host* registrar_host(const lio_registrar* registrar) noexcept {
  if (read_registrar(registrar) != 0) return nullptr;
  if (registrar->struct_size < LIO_PLUGIN_SIZE_THROUGH(lio_registrar, host)) return nullptr;
  const lio_host* host = registrar->host;
  if (host == nullptr || host->struct_size < LIO_PLUGIN_SIZE_THROUGH(lio_host, find_backend)) return nullptr;
  if (LIO_ABI_MAJOR(host->abi_version) != LIO_ABI_VERSION_MAJOR || host->find_backend == nullptr) return nullptr;
  return host;
}

// ---- lio_backend_config ---------------------------------------------------

// [create.config_read]: the config with every field past its struct_size
// read as zero (options NULL, host NULL, flags 0) and struct_size set to
// sizeof(lio_backend_config). -LIO_EINVAL when it is NULL, too short to hold
// `capacity`, of another ABI major, or asks for capacity 0
// ([create.capacity_zero]). Flag bits a backend does not know are ignored:
// they are promises or hints a later minor version may add.
inline int read_config(const lio_backend_config* config, lio_backend_config* out) noexcept {
  if (config == nullptr || out == nullptr) return -LIO_EINVAL;
  if (config->struct_size < LIO_PLUGIN_SIZE_THROUGH(lio_backend_config, capacity)) return -LIO_EINVAL;
  *out = lio_backend_config{};
  std::memcpy(out, config, std::min<size_t>(config->struct_size, sizeof(lio_backend_config)));
  out->struct_size = sizeof(lio_backend_config);
  if (LIO_ABI_MAJOR(out->abi_version) != LIO_ABI_VERSION_MAJOR) return -LIO_EINVAL;
  if (out->capacity == 0) return -LIO_EINVAL;
  return 0;
}

// ---- lio_op ---------------------------------------------------------------

// The per-op lio_op.flags bits each code defines (below LIO_OPF_GENERIC);
// any other bit is malformed.
constexpr uint32_t known_op_flags(uint32_t code) noexcept {
  switch (code) {
    case LIO_OP_FSYNC: return LIO_FSYNC_DATASYNC;
    case LIO_OP_TIMEOUT:
    case LIO_OP_LINK_TIMEOUT: return LIO_TIMEOUT_ABSOLUTE;
    case LIO_OP_RECV: return LIO_RECV_BUFFER_SELECT;
    case LIO_OP_LINKAT: return LIO_LINKAT_FOLLOW;
    case LIO_OP_RENAMEAT: return LIO_RENAME_NOREPLACE | LIO_RENAME_EXCHANGE;
    case LIO_OP_UNLINKAT: return LIO_UNLINK_REMOVEDIR;
    case LIO_OP_STATX: return LIO_STATX_NOFOLLOW | LIO_STATX_EMPTY_PATH;
    case LIO_OP_FALLOCATE: return LIO_FALLOCATE_KEEP_SIZE | LIO_FALLOCATE_PUNCH_HOLE;
    case LIO_OP_TEE:
    case LIO_OP_SPLICE: return LIO_SPLICE_MOVE | LIO_SPLICE_MORE;
    default: return 0;
  }
}

// The generic flags (LIO_OPF_*) 1.1 defines.
inline constexpr uint32_t kKnownGenericFlags = LIO_OPF_LINK | LIO_OPF_FIXED_FILE;

// [push.undeclared_feature]: the features the flags of `op` need.
constexpr uint64_t features_needed(const lio_op& op) noexcept {
  uint64_t needed = 0;
  if (op.flags & LIO_OPF_LINK) needed |= LIO_FEATURE_LINK;
  if (op.flags & LIO_OPF_FIXED_FILE) needed |= LIO_FEATURE_FIXED_FILES;
  if (op.code == LIO_OP_RECV && (op.flags & LIO_RECV_BUFFER_SELECT)) needed |= LIO_FEATURE_BUFFER_GROUPS;
  return needed;
}

inline constexpr uint32_t kKnownOpenFlags = LIO_OPEN_ACCMODE | LIO_OPEN_CREATE | LIO_OPEN_EXCL | LIO_OPEN_TRUNC |
                                            LIO_OPEN_APPEND | LIO_OPEN_DIRECT | LIO_OPEN_DIRECTORY;

// [push.malformed], [push.undeclared], [push.undeclared_feature],
// [push.undefined_flags]: 0 when push may accept `op`, read whole
// (struct_size >= sizeof(lio_op), or padded by read_op). In this order:
//   -LIO_EINVAL      another ABI major, or a code >= LIO_OP_COUNT;
//   -LIO_EOPNOTSUPP  a real code `capabilities` does not declare;
//   -LIO_EOPNOTSUPP  a flag of a feature `features` does not declare;
//   -LIO_EINVAL      flag bits the code does not define (lio_op.flags, or
//                    openat's LIO_OPEN_* flags).
// Inline: it runs on every push.
inline int check_op(const lio_op& op, uint64_t capabilities, uint64_t features = 0) noexcept {
  if (LIO_ABI_MAJOR(op.abi_version) != LIO_ABI_VERSION_MAJOR) [[unlikely]] return -LIO_EINVAL;
  // One test for "a code this backend declares": no declared bit lies at or
  // past LIO_OP_COUNT, so an undefined code fails it too and is told apart
  // only then (a constant `capabilities` folds the mask away).
  const uint64_t declared = capabilities & LIO_CAP_ALL_OPS;
  if (op.code >= 64 || (declared & LIO_CAP(op.code)) == 0) [[unlikely]] {
    return op.code >= LIO_OP_COUNT ? -LIO_EINVAL : -LIO_EOPNOTSUPP;
  }
  if (op.flags != 0) [[unlikely]] {
    if (features_needed(op) & ~features) return -LIO_EOPNOTSUPP;
    if (op.flags & ~(known_op_flags(op.code) | kKnownGenericFlags)) return -LIO_EINVAL;
  }
  if (op.code == LIO_OP_OPENAT && (op.u.open.flags & ~kKnownOpenFlags)) return -LIO_EINVAL;
  return 0;
}

// [push.minor_versions]: an op of any size, copied into `*out` with every
// field past its struct_size zero and struct_size = sizeof(lio_op), then
// checked as check_op does. -LIO_EINVAL when NULL or too short to reach `u`.
inline int read_op(const lio_op* op, uint64_t capabilities, lio_op* out, uint64_t features = 0) noexcept {
  if (op == nullptr || op->struct_size < offsetof(lio_op, u)) return -LIO_EINVAL;
  *out = lio_op{};
  std::memcpy(out, op, std::min<size_t>(op->struct_size, sizeof(lio_op)));
  out->struct_size = sizeof(lio_op);
  return check_op(*out, capabilities, features);
}

// [bufgroup.add]: the arguments add_buffer_group accepts (a group below
// 65,536, a power-of-two count up to 32,768, a size from 1 to 2^31 - 1,
// memory that does not wrap the address space).
inline bool buffer_group_shape_valid(uint32_t group, const void* base, uint32_t count, uint32_t size) noexcept {
  if (group >= 65536 || base == nullptr) return false;
  if (count == 0 || count > 32768 || (count & (count - 1)) != 0) return false;
  if (size == 0 || size > 0x7fffffffu) return false;
  const uint64_t bytes = static_cast<uint64_t>(count) * size;
  return reinterpret_cast<uintptr_t>(base) <= UINTPTR_MAX - bytes;
}

// True when `op` can be read where it is (this minor version or newer).
inline bool op_is_whole(const lio_op* op) noexcept { return op != nullptr && op->struct_size >= sizeof(lio_op); }

// ---- handles --------------------------------------------------------------

// [handles.out_of_range] (POSIX): a handle that is not an int cannot be an
// open fd. -1 makes the system call answer -EBADF instead of acting on a
// truncated number (a handle of 2^32 + 3 must not reach fd 3).
constexpr int to_fd(lio_handle handle) noexcept {
  if (handle < 0 || handle > INT_MAX) return -1;
  return static_cast<int>(handle);
}

#ifndef _WIN32
// openat's `dir`: LIO_AT_FDCWD is the OS's AT_FDCWD; any other handle as
// to_fd reads it.
constexpr int to_dir_fd(lio_handle handle) noexcept { return handle == LIO_AT_FDCWD ? AT_FDCWD : to_fd(handle); }
#endif

}  // namespace lio::plugin

#endif  // LIO_PLUGINS_COMMON_BOUNDARY_H_
