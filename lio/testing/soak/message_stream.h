// MessageStream: the bytes one soak connection sends, message after message,
// made from a seed so the receiving side can regenerate and compare every
// byte without keeping a copy. A message is
//   [payload size, 4 bytes LE][payload: 1 B .. 64 KiB][FNV-1a of payload, 4 bytes LE]
// with sizes spread log-uniformly so small and large messages both occur.
#ifndef LIO_TESTING_SOAK_MESSAGE_STREAM_H_
#define LIO_TESTING_SOAK_MESSAGE_STREAM_H_

#include <cstddef>
#include <cstdint>

namespace lio::soak {

inline constexpr uint32_t kMaxPayload = 64 * 1024;
inline constexpr uint32_t kFnvBasis = 2166136261u;

inline uint32_t Fnv1a(uint32_t hash, uint8_t byte) { return (hash ^ byte) * 16777619u; }

class MessageStream {
 public:
  explicit MessageStream(uint64_t seed) : sizes_(seed) { next_message(); }

  // Starts the next message (the current one need not be finished).
  void next_message() {
    const uint64_t r = splitmix(sizes_);
    const uint32_t bits = static_cast<uint32_t>(r % 17);  // 2^0 .. 2^16
    size_ = 1 + static_cast<uint32_t>((r >> 8) & ((uint64_t{1} << bits) - 1));
    if (size_ > kMaxPayload) size_ = kMaxPayload;
    payload_ = splitmix(sizes_);
    pos_ = 0;
    fnv_ = kFnvBasis;
  }

  uint32_t payload_size() const { return size_; }
  uint32_t message_size() const { return size_ + 8; }
  uint32_t remaining() const { return message_size() - pos_; }
  bool done() const { return pos_ == message_size(); }

  // Writes the next min(max, remaining()) bytes of the message; how many.
  size_t fill(uint8_t* out, size_t max) {
    size_t n = 0;
    for (; n < max && pos_ < message_size(); ++n, ++pos_) out[n] = byte_at_pos();
    return n;
  }

 private:
  static uint64_t splitmix(uint64_t& state) {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

  uint8_t byte_at_pos() {
    if (pos_ < 4) return static_cast<uint8_t>(size_ >> (8 * pos_));
    const uint32_t i = pos_ - 4;
    if (i < size_) {
      if (i % 8 == 0) word_ = splitmix(payload_);
      const uint8_t b = static_cast<uint8_t>(word_ >> (8 * (i % 8)));
      fnv_ = Fnv1a(fnv_, b);
      return b;
    }
    return static_cast<uint8_t>(fnv_ >> (8 * (i - size_)));
  }

  uint64_t sizes_;
  uint64_t payload_ = 0;
  uint64_t word_ = 0;
  uint32_t size_ = 0;
  uint32_t pos_ = 0;
  uint32_t fnv_ = kFnvBasis;
};

// Checks received bytes against the regenerated stream, and independently
// recomputes each payload's checksum from what arrived and compares it with
// the trailer that arrived.
class MessageChecker {
 public:
  explicit MessageChecker(uint64_t seed) : expected_(seed) {}

  // False at the first byte that differs, or bytes past the message's end.
  bool take(const uint8_t* data, size_t n) {
    while (n > 0) {
      if (expected_.done()) return false;  // the peer sent more than one message
      uint8_t want[4096];
      const size_t k = expected_.fill(want, n < sizeof want ? n : sizeof want);
      for (size_t i = 0; i < k; ++i) {
        if (data[i] != want[i]) return false;
        if (!observe(data[i])) return false;
      }
      data += k;
      n -= k;
    }
    return true;
  }

  bool message_done() const { return expected_.done(); }
  uint32_t message_size() const { return expected_.message_size(); }
  void next_message() {
    expected_.next_message();
    pos_ = 0;
    size_ = 0;
    fnv_ = kFnvBasis;
    trailer_ = 0;
  }

 private:
  // The receiver's own view of the framing: size, checksum, trailer.
  bool observe(uint8_t b) {
    if (pos_ < 4) {
      size_ |= static_cast<uint32_t>(b) << (8 * pos_);
    } else if (pos_ - 4 < size_) {
      fnv_ = Fnv1a(fnv_, b);
    } else {
      trailer_ |= static_cast<uint32_t>(b) << (8 * (pos_ - 4 - size_));
      if (pos_ == size_ + 7 && trailer_ != fnv_) return false;
    }
    ++pos_;
    return pos_ > 4 ? (size_ >= 1 && size_ <= kMaxPayload) : true;
  }

  MessageStream expected_;
  uint32_t pos_ = 0;
  uint32_t size_ = 0;
  uint32_t fnv_ = kFnvBasis;
  uint32_t trailer_ = 0;
};

}  // namespace lio::soak

#endif  // LIO_TESTING_SOAK_MESSAGE_STREAM_H_
