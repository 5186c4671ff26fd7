#include "lio/plugins/iocp/fs_ops.h"

#include <windows.h>

#include <cstring>
#include <cwchar>
#include <string>

#include "lio/plugins/iocp/blocking_ops.h"
#include "lio/plugins/iocp/errno_map.h"

namespace lio::iocp {
namespace {

constexpr uint32_t kIfmt = 0170000;
constexpr uint32_t kIfreg = 0100000;
constexpr uint32_t kIfdir = 0040000;
constexpr uint32_t kIflnk = 0120000;
// SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE (Windows 10 1703+, developer mode).
constexpr DWORD kUnprivilegedSymlink = 0x2;

int64_t LastError() { return ErrorResult(GetLastError()); }

bool Exists(DWORD attributes) { return attributes != INVALID_FILE_ATTRIBUTES; }
bool IsDir(DWORD attributes) { return Exists(attributes) && (attributes & FILE_ATTRIBUTE_DIRECTORY); }
bool IsLink(DWORD attributes) { return Exists(attributes) && (attributes & FILE_ATTRIBUTE_REPARSE_POINT); }

// The parent of `path` ("C:\a\b" -> "C:\a"), or empty at the root.
std::wstring Parent(const std::wstring& path) {
  const size_t cut = path.find_last_of(L'\\');
  if (cut == std::wstring::npos || cut == 0 || (cut == 2 && path[1] == L':')) return {};
  return path.substr(0, cut);
}

// Why `path` cannot be looked up, as Linux says it: ENOTDIR when a component
// on the way is not a directory, else ENOENT.
int64_t MissingError(const wchar_t* path) {
  for (std::wstring at = Parent(path); !at.empty(); at = Parent(at)) {
    const DWORD attributes = GetFileAttributesW(at.c_str());
    if (!Exists(attributes)) continue;
    return IsDir(attributes) ? -LIO_ENOENT : -LIO_ENOTDIR;
  }
  return -LIO_ENOENT;
}

// A failed call on `path`: "not found" as Linux would say it, else mapped.
int64_t PathError(const wchar_t* path) {
  const DWORD error = GetLastError();
  if (error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND) return MissingError(path);
  return ErrorResult(error);
}

// Whether `inner` is `outer` or lies below it (case-insensitive, as NTFS).
bool Within(const wchar_t* inner, const wchar_t* outer) {
  const size_t n = std::wcslen(outer);
  return _wcsnicmp(inner, outer, n) == 0 && (inner[n] == L'\0' || inner[n] == L'\\');
}

int64_t Ftruncate(lio_handle handle, int64_t length) {
  if (length < 0) return -LIO_EINVAL;
  HANDLE h = reinterpret_cast<HANDLE>(handle);
  BY_HANDLE_FILE_INFORMATION info;
  if (!GetFileInformationByHandle(h, &info)) return LastError();
  if (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) return -LIO_EINVAL;  // not a regular file
  FILE_END_OF_FILE_INFO end{};
  end.EndOfFile.QuadPart = length;
  if (SetFileInformationByHandle(h, FileEndOfFileInfo, &end, sizeof end)) return 0;
  // ftruncate(2): a handle not open for writing is EINVAL.
  return GetLastError() == ERROR_ACCESS_DENIED ? -LIO_EINVAL : LastError();
}

int64_t Rename(const wchar_t* from, const wchar_t* to, uint32_t flags) {
  if (flags & LIO_RENAME_EXCHANGE) return -LIO_EINVAL;  // no atomic exchange on Windows
  const DWORD source = GetFileAttributesW(from);
  if (!Exists(source)) return MissingError(from);
  if (IsDir(source) && !IsLink(source) && _wcsicmp(from, to) != 0 && Within(to, from)) return -LIO_EINVAL;
  const DWORD target = GetFileAttributesW(to);
  if (Exists(target)) {
    if (flags & LIO_RENAME_NOREPLACE) return -LIO_EEXIST;
    if (_wcsicmp(from, to) == 0) return 0;  // rename(2) of a name onto itself does nothing
    if (IsDir(source) && !IsDir(target)) return -LIO_ENOTDIR;
    if (!IsDir(source) && IsDir(target)) return -LIO_EISDIR;
    if (IsDir(target) && !RemoveDirectoryW(to)) return LastError();  // a full one: ENOTEMPTY
  }
  const DWORD replace = (flags & LIO_RENAME_NOREPLACE) ? 0 : MOVEFILE_REPLACE_EXISTING;
  if (MoveFileExW(from, to, replace)) return 0;
  return PathError(to);
}

// unlink(2) and rmdir(2) take the name away at once, even while the file is
// open. Windows does so with POSIX semantics (Windows 10 1709+); without
// them the name stays until the last handle closes, so that is the fallback.
// (Declared here: MinGW's headers show them only for newer _WIN32_WINNT.)
struct DispositionEx {
  DWORD flags;
};
constexpr DWORD kDispositionDelete = 0x1;
constexpr DWORD kDispositionPosix = 0x2;
constexpr DWORD kDispositionIgnoreReadOnly = 0x10;
constexpr auto kFileDispositionInfoEx = static_cast<FILE_INFO_BY_HANDLE_CLASS>(21);  // after FileIdExtdDirectoryRestartInfo

int64_t DeleteName(const wchar_t* path) {
  HANDLE h = CreateFileW(path, DELETE, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, OPEN_EXISTING,
                         FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, nullptr);
  if (h == INVALID_HANDLE_VALUE) return PathError(path);
  DispositionEx posix{kDispositionDelete | kDispositionPosix | kDispositionIgnoreReadOnly};
  BOOL ok = SetFileInformationByHandle(h, kFileDispositionInfoEx, &posix, sizeof posix);
  if (!ok && GetLastError() != ERROR_DIR_NOT_EMPTY) {
    FILE_DISPOSITION_INFO on_close{TRUE};
    ok = SetFileInformationByHandle(h, FileDispositionInfo, &on_close, sizeof on_close);
  }
  const DWORD error = ok ? 0 : GetLastError();
  CloseHandle(h);
  return ok ? 0 : ErrorResult(error);
}

int64_t Unlink(const wchar_t* path, uint32_t flags) {
  const DWORD attributes = GetFileAttributesW(path);
  if (!Exists(attributes)) return MissingError(path);
  if (flags & LIO_UNLINK_REMOVEDIR) {
    if (!IsDir(attributes)) return -LIO_ENOTDIR;
    return DeleteName(path);
  }
  if (IsDir(attributes) && !IsLink(attributes)) return -LIO_EISDIR;
  // unlink(2) needs write access to the directory, not to the file.
  if (attributes & FILE_ATTRIBUTE_READONLY) SetFileAttributesW(path, attributes & ~FILE_ATTRIBUTE_READONLY);
  return DeleteName(path);
}

int64_t Mkdir(const wchar_t* path) { return CreateDirectoryW(path, nullptr) ? 0 : PathError(path); }

// The file a symlink leads to, in `scratch.full` (`link` may point there:
// it is read before anything is written).
int64_t FollowLink(const wchar_t* link, PathScratch& scratch, const wchar_t** out) {
  HANDLE h = CreateFileW(link, 0, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, OPEN_EXISTING,
                         FILE_FLAG_BACKUP_SEMANTICS, nullptr);
  if (h == INVALID_HANDLE_VALUE) return PathError(link);
  const DWORD n = GetFinalPathNameByHandleW(h, scratch.full, PathScratch::kUnits, FILE_NAME_NORMALIZED);
  CloseHandle(h);
  if (n == 0) return LastError();
  if (n >= PathScratch::kUnits) return -LIO_ENAMETOOLONG;
  *out = scratch.full;
  return 0;
}

int64_t Link(const wchar_t* from, const wchar_t* to, uint32_t flags, PathScratch& scratch) {
  const DWORD source = GetFileAttributesW(from);
  if (!Exists(source)) return MissingError(from);
  if ((flags & LIO_LINKAT_FOLLOW) && IsLink(source)) {
    if (int64_t followed = FollowLink(from, scratch, &from); followed < 0) return followed;
    if (IsDir(GetFileAttributesW(from))) return -LIO_EPERM;
  }
  if (IsDir(source) && !IsLink(source)) return -LIO_EPERM;  // no hard links to directories
  if (Exists(GetFileAttributesW(to))) return -LIO_EEXIST;
  return CreateHardLinkW(to, from, nullptr) ? 0 : PathError(to);
}

int64_t Symlink(const char* text, const wchar_t* link) {
  if (text == nullptr) return -LIO_EFAULT;
  if (text[0] == '\0') return -LIO_ENOENT;
  std::wstring target(std::strlen(text) + 1, L'\0');
  const int units = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, text, -1, target.data(),
                                        static_cast<int>(target.size()));
  if (units == 0) return -LIO_EINVAL;
  target.resize(static_cast<size_t>(units) - 1);
  for (wchar_t& c : target) {
    if (c == L'/') c = L'\\';
  }
  if (Exists(GetFileAttributesW(link))) return -LIO_EEXIST;
  if (!IsDir(GetFileAttributesW(Parent(link).c_str()))) return MissingError(link);
  // A link to a directory must say so; a relative target is read from the
  // link's own directory.
  const bool absolute = target.size() > 1 && (target[0] == L'\\' || target[1] == L':');
  const std::wstring resolved = absolute ? target : Parent(link) + L"\\" + target;
  const DWORD kind = IsDir(GetFileAttributesW(resolved.c_str())) ? SYMBOLIC_LINK_FLAG_DIRECTORY : 0;
  if (CreateSymbolicLinkW(link, target.c_str(), kind | kUnprivilegedSymlink)) return 0;
  if (GetLastError() == ERROR_INVALID_PARAMETER && CreateSymbolicLinkW(link, target.c_str(), kind)) return 0;
  return PathError(link);  // ERROR_PRIVILEGE_NOT_HELD: -EPERM
}

// ---- statx ----

lio_statx_timestamp ToTimestamp(LARGE_INTEGER filetime) {
  // 100 ns ticks since 1601-01-01; the Unix epoch is 11644473600 s later.
  constexpr int64_t kTicks = 10'000'000;
  constexpr int64_t kEpochTicks = INT64_C(116444736000000000);
  const int64_t since_epoch = filetime.QuadPart - kEpochTicks;
  int64_t seconds = since_epoch / kTicks;
  int64_t rest = since_epoch % kTicks;
  if (rest < 0) {
    rest += kTicks;
    --seconds;
  }
  return {seconds, static_cast<uint32_t>(rest * 100), 0};
}

uint16_t ModeOf(DWORD attributes, bool link) {
  if (link) return kIflnk | 0777;
  if (attributes & FILE_ATTRIBUTE_DIRECTORY) return kIfdir | 0755;
  return static_cast<uint16_t>(kIfreg | ((attributes & FILE_ATTRIBUTE_READONLY) ? 0444 : 0644));
}

int64_t FillStatx(HANDLE h, bool report_link, lio_statx* out) {
  BY_HANDLE_FILE_INFORMATION info;
  FILE_BASIC_INFO basic;
  FILE_STANDARD_INFO standard;
  if (!GetFileInformationByHandle(h, &info)) return LastError();
  if (!GetFileInformationByHandleEx(h, FileBasicInfo, &basic, sizeof basic)) return LastError();
  if (!GetFileInformationByHandleEx(h, FileStandardInfo, &standard, sizeof standard)) return LastError();
  if (out == nullptr) return -LIO_EFAULT;
  lio_statx st{};
  st.mask = LIO_STATX_TYPE | LIO_STATX_MODE | LIO_STATX_NLINK | LIO_STATX_INO | LIO_STATX_SIZE | LIO_STATX_BLOCKS |
            LIO_STATX_ATIME | LIO_STATX_MTIME | LIO_STATX_CTIME | LIO_STATX_BTIME;
  st.blksize = 4096;
  st.nlink = info.nNumberOfLinks;
  st.mode = ModeOf(info.dwFileAttributes, report_link && (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT));
  st.ino = (uint64_t{info.nFileIndexHigh} << 32) | info.nFileIndexLow;
  st.size = (st.mode & kIfmt) == kIfdir ? 0 : static_cast<uint64_t>(standard.EndOfFile.QuadPart);
  st.blocks = static_cast<uint64_t>(standard.AllocationSize.QuadPart) / 512;
  st.atime = ToTimestamp(basic.LastAccessTime);
  st.btime = ToTimestamp(basic.CreationTime);
  st.ctime = ToTimestamp(basic.ChangeTime);
  st.mtime = ToTimestamp(basic.LastWriteTime);
  st.dev_minor = info.dwVolumeSerialNumber;
  *out = st;
  return 0;
}

int64_t Statx(lio_handle dir, const char* path, uint32_t flags, lio_statx* out, PathScratch& scratch) {
  if ((flags & LIO_STATX_EMPTY_PATH) && path != nullptr && path[0] == '\0') {
    if (dir < 0) return -LIO_EBADF;  // LIO_AT_FDCWD: the current directory
    return FillStatx(reinterpret_cast<HANDLE>(dir), false, out);
  }
  const wchar_t* target = nullptr;
  if (int64_t resolved = ResolvePath(dir, path, scratch, &target); resolved < 0) return resolved;
  const bool nofollow = flags & LIO_STATX_NOFOLLOW;
  const DWORD open_flags = FILE_FLAG_BACKUP_SEMANTICS | (nofollow ? FILE_FLAG_OPEN_REPARSE_POINT : 0);
  HANDLE h = CreateFileW(target, FILE_READ_ATTRIBUTES, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                         OPEN_EXISTING, open_flags, nullptr);
  if (h == INVALID_HANDLE_VALUE) return PathError(target);
  const int64_t result = FillStatx(h, nofollow, out);
  CloseHandle(h);
  return result;
}

}  // namespace

int64_t RunFsOp(uint32_t code, uint32_t flags, lio_handle handle, const decltype(lio_op::u)& u,
                WorkerThreadScratch& scratch) {
  const wchar_t* first = nullptr;
  const wchar_t* second = nullptr;
  switch (code) {
    case LIO_OP_FTRUNCATE:
      return Ftruncate(handle, u.truncate.length);
    case LIO_OP_STATX:
      return Statx(handle, u.statx.path, flags, u.statx.buf, scratch.paths);
    case LIO_OP_UNLINKAT:
    case LIO_OP_MKDIRAT:
      if (int64_t resolved = ResolvePath(handle, u.path.path, scratch.paths, &first); resolved < 0) return resolved;
      return code == LIO_OP_MKDIRAT ? Mkdir(first) : Unlink(first, flags);
    case LIO_OP_SYMLINKAT:
      if (int64_t resolved = ResolvePath(u.link.new_dir, u.link.new_path, scratch.paths, &second); resolved < 0) {
        return resolved;
      }
      return Symlink(u.link.old_path, second);
    case LIO_OP_LINKAT:
    case LIO_OP_RENAMEAT:
      if (int64_t resolved = ResolvePath(handle, u.link.old_path, scratch.paths, &first); resolved < 0) return resolved;
      if (int64_t resolved = ResolvePath(u.link.new_dir, u.link.new_path, scratch.second, &second); resolved < 0) {
        return resolved;
      }
      return code == LIO_OP_RENAMEAT ? Rename(first, second, flags) : Link(first, second, flags, scratch.paths);
    default:
      return -LIO_EINVAL;
  }
}

}  // namespace lio::iocp
