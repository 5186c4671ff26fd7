// Reads a fuzzer's input as a stream of small numbers; zeros once it runs out,
// so every input, however short, is a complete program.
#ifndef LIO_TESTING_FUZZ_BYTE_READER_H_
#define LIO_TESTING_FUZZ_BYTE_READER_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace lio::fuzz {

class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  bool empty() const { return pos_ >= size_; }
  uint8_t byte() { return empty() ? 0 : data_[pos_++]; }
  uint16_t u16() { return static_cast<uint16_t>(byte() | (byte() << 8)); }

  // Up to `max` bytes as a string (may hold NULs).
  std::string string(size_t max) {
    size_t n = byte() % (max + 1);
    std::string s;
    while (n-- > 0 && !empty()) s.push_back(static_cast<char>(byte()));
    return s;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

}  // namespace lio::fuzz

#endif  // LIO_TESTING_FUZZ_BYTE_READER_H_
