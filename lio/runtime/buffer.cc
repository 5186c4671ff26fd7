#include "lio/runtime/buffer.h"

#include <atomic>
#include <cstring>

namespace lio {

Buffer::Buffer(size_t capacity) : data_(capacity ? new std::byte[capacity] : nullptr), capacity_(capacity) {}

Buffer Buffer::CopyOf(std::string_view bytes) {
  Buffer b(bytes.size());
  if (!bytes.empty()) std::memcpy(b.data_, bytes.data(), bytes.size());
  b.size_ = bytes.size();
  return b;
}

Buffer Buffer::Secret(size_t capacity) {
  Buffer b(capacity);
  b.wipe_ = true;
  return b;
}

Buffer Buffer::Adopt(std::byte* data, size_t capacity, Releaser release, void* context) noexcept {
  Buffer b;
  b.data_ = data;
  b.capacity_ = capacity;
  b.release_ = release;
  b.context_ = context;
  return b;
}

Buffer::Buffer(Buffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      capacity_(std::exchange(other.capacity_, 0)),
      release_(std::exchange(other.release_, nullptr)),
      context_(std::exchange(other.context_, nullptr)),
      wipe_(std::exchange(other.wipe_, false)) {}

Buffer& Buffer::operator=(Buffer&& other) noexcept {
  if (this != &other) {
    reset();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
    release_ = std::exchange(other.release_, nullptr);
    context_ = std::exchange(other.context_, nullptr);
    wipe_ = std::exchange(other.wipe_, false);
  }
  return *this;
}

size_t Buffer::append(std::string_view bytes) noexcept {
  size_t n = bytes.size() < capacity_ - size_ ? bytes.size() : capacity_ - size_;
  if (n != 0) std::memcpy(data_ + size_, bytes.data(), n);
  size_ += n;
  return n;
}

void Buffer::reset() noexcept {
  if (data_ != nullptr) {
    if (wipe_) SecureWipe(data_, capacity_);
    if (release_ != nullptr) {
      release_(context_, data_, capacity_);
    } else {
      delete[] data_;
    }
  }
  data_ = nullptr;
  size_ = 0;
  capacity_ = 0;
  release_ = nullptr;
  context_ = nullptr;
  wipe_ = false;
}

void SecureWipe(void* data, size_t size) noexcept {
  volatile unsigned char* p = static_cast<volatile unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) p[i] = 0;
  std::atomic_signal_fence(std::memory_order_seq_cst);
}

}  // namespace lio
