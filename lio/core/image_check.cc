// Sections: helpers; ELF (Linux, BSD); PE (Windows); the dispatch.
#include "lio/core/image_check.h"

#include <cstring>

#if defined(__ELF__)
#include <elf.h>
#endif

namespace lio::internal {
namespace {

// [offset, offset + length) lies inside a file of `size` bytes (no overflow).
bool Within(uint64_t offset, uint64_t length, uint64_t size) { return offset <= size && length <= size - offset; }

std::string TooShort(uint64_t size) {
  return "too short to be a shared library (" + std::to_string(size) + " bytes)";
}

std::string Truncated(const std::string& what, uint64_t size) {
  return "truncated: its " + what + " ends past the end of the file (" + std::to_string(size) +
         " bytes); it was cut short while copying or building, so rebuild or reinstall it";
}

// ---- ELF -------------------------------------------------------------------
#if defined(__ELF__)

#if UINTPTR_MAX > 0xffffffffu
using Ehdr = Elf64_Ehdr;
using Phdr = Elf64_Phdr;
using Shdr = Elf64_Shdr;
constexpr unsigned char kHostClass = ELFCLASS64;
#else
using Ehdr = Elf32_Ehdr;
using Phdr = Elf32_Phdr;
using Shdr = Elf32_Shdr;
constexpr unsigned char kHostClass = ELFCLASS32;
#endif

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
constexpr unsigned char kHostData = ELFDATA2LSB;
#else
constexpr unsigned char kHostData = ELFDATA2MSB;
#endif

// 0: a CPU this table does not know; its machine is then not compared.
#if defined(__x86_64__)
constexpr uint16_t kHostMachine = EM_X86_64;
#elif defined(__aarch64__)
constexpr uint16_t kHostMachine = EM_AARCH64;
#elif defined(__i386__)
constexpr uint16_t kHostMachine = EM_386;
#elif defined(__arm__)
constexpr uint16_t kHostMachine = EM_ARM;
#elif defined(__riscv)
constexpr uint16_t kHostMachine = 243;  // EM_RISCV
#elif defined(__powerpc64__)
constexpr uint16_t kHostMachine = EM_PPC64;
#elif defined(__s390x__)
constexpr uint16_t kHostMachine = EM_S390;
#else
constexpr uint16_t kHostMachine = 0;
#endif

std::string ElfMachineName(uint16_t machine) {
  switch (machine) {
    case 3: return "x86 (32-bit)";
    case 40: return "ARM (32-bit)";
    case 62: return "x86-64";
    case 183: return "AArch64";
    case 243: return "RISC-V";
    case 21: return "PowerPC64";
    case 22: return "s390";
    default: return "ELF machine " + std::to_string(machine);
  }
}

std::string ElfClassName(unsigned char c) {
  return c == ELFCLASS64 ? "64-bit" : c == ELFCLASS32 ? "32-bit" : "unknown-class";
}

std::string ElfIdentProblem(const unsigned char* ident) {
  if (std::memcmp(ident, ELFMAG, SELFMAG) != 0) return "not a shared library (it does not start with the ELF magic number)";
  if (ident[EI_CLASS] != kHostClass) {
    return "a " + ElfClassName(ident[EI_CLASS]) + " ELF file, but this program is " + ElfClassName(kHostClass) +
           ": build the plugin for this machine";
  }
  if (ident[EI_DATA] != kHostData) return "an ELF file of the other byte order: build the plugin for this machine";
  if (ident[EI_VERSION] != EV_CURRENT) return "an ELF file of unknown version " + std::to_string(ident[EI_VERSION]);
  return "";
}

std::string ElfHeaderProblem(const Ehdr& h, uint64_t size) {
  if (h.e_type != ET_DYN) return "an ELF file but not a shared library (ELF type " + std::to_string(h.e_type) + ")";
  if (kHostMachine != 0 && h.e_machine != kHostMachine) {
    return "built for " + ElfMachineName(h.e_machine) + ", but this machine is " + ElfMachineName(kHostMachine) +
           ": build the plugin for this machine";
  }
  if (h.e_phentsize != sizeof(Phdr) || h.e_phnum == 0 || h.e_phnum == 0xffff) {
    return "a malformed ELF file (its program header table has " + std::to_string(h.e_phnum) + " entries of " +
           std::to_string(h.e_phentsize) + " bytes)";
  }
  if (!Within(h.e_phoff, uint64_t{h.e_phnum} * sizeof(Phdr), size)) return Truncated("program header table", size);
  if (h.e_shoff == 0) return "";
  if (h.e_shentsize != sizeof(Shdr)) return "a malformed ELF file (section headers of " + std::to_string(h.e_shentsize) + " bytes)";
  uint64_t sections = h.e_shnum != 0 ? h.e_shnum : 1;  // 0: the count is in section 0
  if (!Within(h.e_shoff, sections * sizeof(Shdr), size)) return Truncated("section header table", size);
  return "";
}

std::string ElfSegmentProblem(const Phdr& p, int index, uint64_t size) {
  if (p.p_type == PT_NULL) return "";
  if (!Within(p.p_offset, p.p_filesz, size)) return Truncated("segment " + std::to_string(index), size);
  if (p.p_type == PT_LOAD && p.p_filesz > p.p_memsz) {
    return "a malformed ELF file (segment " + std::to_string(index) + " has more bytes in the file than in memory)";
  }
  return "";
}

std::string ElfProblem(const ReadAt& read, uint64_t size) {
  unsigned char ident[EI_NIDENT] = {};
  if (!read(0, ident, size < sizeof ident ? size : sizeof ident)) return TooShort(size);
  if (size >= SELFMAG && std::memcmp(ident, ELFMAG, SELFMAG) != 0) return ElfIdentProblem(ident);
  if (size < sizeof ident) return TooShort(size);
  if (std::string problem = ElfIdentProblem(ident); !problem.empty()) return problem;
  Ehdr header;
  if (size < sizeof header || !read(0, &header, sizeof header)) return Truncated("ELF header", size);
  if (std::string problem = ElfHeaderProblem(header, size); !problem.empty()) return problem;
  for (int i = 0; i < header.e_phnum; ++i) {
    Phdr segment;
    if (!read(header.e_phoff + uint64_t(i) * sizeof segment, &segment, sizeof segment)) {
      return Truncated("program header table", size);
    }
    if (std::string problem = ElfSegmentProblem(segment, i, size); !problem.empty()) return problem;
  }
  return "";
}

#endif  // __ELF__

// ---- PE (Windows) ---------------------------------------------------------
#if defined(_WIN32)

uint16_t U16(const unsigned char* p) { return uint16_t(p[0] | p[1] << 8); }
uint32_t U32(const unsigned char* p) { return uint32_t(U16(p)) | uint32_t(U16(p + 2)) << 16; }

#if defined(__x86_64__) || defined(_M_X64)
constexpr uint16_t kHostPeMachine = 0x8664;
constexpr uint16_t kHostPeMagic = 0x20b;  // PE32+
#elif defined(__aarch64__) || defined(_M_ARM64)
constexpr uint16_t kHostPeMachine = 0xaa64;
constexpr uint16_t kHostPeMagic = 0x20b;
#else
constexpr uint16_t kHostPeMachine = 0x14c;  // x86
constexpr uint16_t kHostPeMagic = 0x10b;  // PE32
#endif
constexpr uint16_t kImageFileDll = 0x2000;
constexpr uint64_t kSectionHeaderSize = 40;

std::string PeMachineName(uint16_t machine) {
  switch (machine) {
    case 0x8664: return "x86-64";
    case 0xaa64: return "ARM64";
    case 0x14c: return "x86 (32-bit)";
    default: return "PE machine " + std::to_string(machine);
  }
}

std::string PeSectionProblem(const unsigned char* section, uint64_t size) {
  uint32_t raw_size = U32(section + 16);
  uint32_t raw_offset = U32(section + 20);
  if (raw_size == 0 || Within(raw_offset, raw_size, size)) return "";
  return Truncated("section '" + std::string(reinterpret_cast<const char*>(section), strnlen(reinterpret_cast<const char*>(section), 8)) + "'", size);
}

std::string PeProblem(const ReadAt& read, uint64_t size) {
  unsigned char dos[64] = {};
  if (!read(0, dos, size < sizeof dos ? size : sizeof dos)) return TooShort(size);
  if (size >= 2 && (dos[0] != 'M' || dos[1] != 'Z')) return "not a DLL (it does not start with the MZ signature)";
  if (size < sizeof dos) return TooShort(size);
  uint64_t pe = U32(dos + 0x3c);
  unsigned char file_header[24];
  if (!Within(pe, sizeof file_header, size) || !read(pe, file_header, sizeof file_header)) return Truncated("PE header", size);
  if (std::memcmp(file_header, "PE\0\0", 4) != 0) return "not a DLL (no PE signature after the MZ header)";
  uint16_t machine = U16(file_header + 4);
  if (machine != kHostPeMachine) {
    return "built for " + PeMachineName(machine) + ", but this machine is " + PeMachineName(kHostPeMachine) +
           ": build the plugin for this machine";
  }
  if ((U16(file_header + 22) & kImageFileDll) == 0) return "a PE image but not a DLL";
  uint64_t optional = pe + sizeof file_header;
  uint16_t optional_size = U16(file_header + 20);
  unsigned char head[64];
  if (optional_size < sizeof head || !Within(optional, optional_size, size) || !read(optional, head, sizeof head)) {
    return Truncated("PE optional header", size);
  }
  if (U16(head) != kHostPeMagic) return "a PE image of the other word size (optional header magic " + std::to_string(U16(head)) + ")";
  if (U32(head + 60) > size) return Truncated("PE headers", size);  // SizeOfHeaders
  uint64_t table = optional + optional_size;
  uint16_t sections = U16(file_header + 6);
  if (!Within(table, sections * kSectionHeaderSize, size)) return Truncated("section table", size);
  for (uint16_t i = 0; i < sections; ++i) {
    unsigned char section[kSectionHeaderSize];
    if (!read(table + i * kSectionHeaderSize, section, sizeof section)) return Truncated("section table", size);
    if (std::string problem = PeSectionProblem(section, size); !problem.empty()) return problem;
  }
  return "";
}

#endif  // _WIN32

}  // namespace

std::string ImageProblem(const ReadAt& read, uint64_t file_size) {
#if defined(_WIN32)
  return PeProblem(read, file_size);
#elif defined(__ELF__)
  return ElfProblem(read, file_size);
#else
  (void)read;
  (void)file_size;
  return "";
#endif
}

}  // namespace lio::internal
