// ImageProblem: is a file a complete shared library for this machine?
//
// The OS loader trusts the headers of the file it maps: a truncated ELF makes
// dlopen map pages past the end of the file and the host dies of SIGBUS on
// first touch. So before any loader sees a candidate plugin, its headers are
// read here and checked against the file's size and the host: ELF class,
// byte order, machine, type, and every program header and the section header
// table inside the file (PE on Windows: MZ/PE signatures, machine, DLL flag,
// every section's raw data inside the file). Nothing is mapped or run.
#ifndef LIO_CORE_IMAGE_CHECK_H_
#define LIO_CORE_IMAGE_CHECK_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace lio::internal {

// Reads exactly `size` bytes at `offset` into `out`; false if it cannot.
using ReadAt = std::function<bool(uint64_t offset, void* out, size_t size)>;

// "" when the image of `file_size` bytes is a complete shared library for
// this machine, else the reason in a few words ("truncated: ...", "built for
// AArch64, this machine is x86-64"). On platforms with neither ELF nor PE
// (macOS) the image is not checked and the answer is "".
std::string ImageProblem(const ReadAt& read, uint64_t file_size);

}  // namespace lio::internal

#endif  // LIO_CORE_IMAGE_CHECK_H_
