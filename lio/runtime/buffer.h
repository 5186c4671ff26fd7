// lio::Buffer — an owned byte buffer, the currency of the owned-buffer
// operations.
//
// The problem it solves: with io_uring (and IOCP, and the poller's worker
// threads) the kernel writes into a buffer *after* the call that started the
// read returned. If the caller frees that buffer early — it cancelled, its
// coroutine was destroyed, a timeout fired — the kernel writes into freed
// memory. So the owned operations take the Buffer by value (std::move), keep
// it in the loop's slot while the kernel may touch it, and hand it back with
// the result:
//
//   auto [n, buf] = co_await lio::read(file, std::move(buf), offset);
//
// If nobody is left to hand it back to, the slot releases it when the
// completion arrives, never before. Nothing in this API can free memory the
// kernel still writes.
//
// Sizes: capacity() is how much memory there is; size() how many bytes are
// valid. Reads and receives fill from data() up to capacity() and set size()
// to the bytes read; writes and sends send [data(), data() + size()).
//
// Secrets: set_wipe_on_release(true) (or Buffer::Secret) zeroes the memory
// before it is released — by the Buffer's destructor, or by the loop's slot
// when the buffer was abandoned there.
//
// A Buffer is not thread-safe and not copyable; moving it is cheap.
#ifndef LIO_RUNTIME_BUFFER_H_
#define LIO_RUNTIME_BUFFER_H_

#include <cstddef>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "lio/core/expected.h"

namespace lio {

class Buffer {
 public:
  // How adopted memory is given back: called once with the context, the data
  // pointer and the capacity given to Adopt.
  using Releaser = void (*)(void* context, std::byte* data, size_t capacity);

  Buffer() noexcept = default;
  // `capacity` bytes from the heap (uninitialised), size() 0.
  explicit Buffer(size_t capacity);
  // A copy of `bytes`: size() == capacity() == bytes.size().
  static Buffer CopyOf(std::string_view bytes);
  // Like Buffer(capacity), wiped on release.
  static Buffer Secret(size_t capacity);
  // Memory you manage (a pool, a mapping): `release` is called when the
  // Buffer lets go of it. size() 0.
  static Buffer Adopt(std::byte* data, size_t capacity, Releaser release, void* context) noexcept;

  Buffer(Buffer&& other) noexcept;
  Buffer& operator=(Buffer&& other) noexcept;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() { reset(); }

  std::byte* data() noexcept { return data_; }
  const std::byte* data() const noexcept { return data_; }
  char* chars() noexcept { return reinterpret_cast<char*>(data_); }
  size_t size() const noexcept { return size_; }
  size_t capacity() const noexcept { return capacity_; }
  bool empty() const noexcept { return size_ == 0; }
  explicit operator bool() const noexcept { return data_ != nullptr; }

  // The valid bytes.
  std::span<std::byte> bytes() noexcept { return {data_, size_}; }
  std::span<const std::byte> bytes() const noexcept { return {data_, size_}; }
  std::string_view view() const noexcept { return {reinterpret_cast<const char*>(data_), size_}; }

  // Sets size(); clamped to capacity().
  void resize(size_t size) noexcept { size_ = size < capacity_ ? size : capacity_; }
  void clear() noexcept { size_ = 0; }
  // Copies `bytes` in at the end (up to capacity); how many were copied.
  size_t append(std::string_view bytes) noexcept;

  void set_wipe_on_release(bool wipe) noexcept { wipe_ = wipe; }
  bool wipe_on_release() const noexcept { return wipe_; }

  // Releases the memory now (wiping it first if asked); the Buffer is empty.
  void reset() noexcept;

 private:
  std::byte* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
  Releaser release_ = nullptr;  // nullptr: delete[]
  void* context_ = nullptr;
  bool wipe_ = false;
};

// Borrowed buffers: memory you own and keep alive (and unmoved) until the
// operation completed — also when you cancel it or destroy the coroutine
// waiting for it. For callers who manage lifetimes themselves; the owned
// Buffer forms are the safe default.
struct MutableBytes {
  void* data;
  size_t size;
  MutableBytes(void* d, size_t n) noexcept : data(d), size(n) {}
  MutableBytes(std::span<std::byte> s) noexcept : data(s.data()), size(s.size()) {}  // NOLINT
  template <size_t N>
  MutableBytes(char (&array)[N]) noexcept : data(array), size(N) {}  // NOLINT
};
struct ConstBytes {
  const void* data;
  size_t size;
  ConstBytes(const void* d, size_t n) noexcept : data(d), size(n) {}
  ConstBytes(std::string_view s) noexcept : data(s.data()), size(s.size()) {}  // NOLINT
  ConstBytes(std::span<const std::byte> s) noexcept : data(s.data()), size(s.size()) {}  // NOLINT
};

// Zeroes `size` bytes in a way the compiler may not optimise away.
void SecureWipe(void* data, size_t size) noexcept;

// The result of an owned-buffer operation: the bytes transferred (or the
// error) and the buffer, handed back in every case.
//
//   auto [n, buf] = co_await lio::recv(stream, std::move(buf));
//   if (!n) return n.error();
struct BufResult {
  Expected<size_t> bytes;
  Buffer buffer;
};

// The vectored form (readv/writev with owned buffers).
struct BufsResult {
  Expected<size_t> bytes;
  std::vector<Buffer> buffers;
};

}  // namespace lio

#endif  // LIO_RUNTIME_BUFFER_H_
