// POSIX implementation of lio/testing/platform.h (Linux, macOS, BSD).
#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "lio/testing/platform.h"

namespace lio::testing::platform {
namespace {

// errno numbering is Linux's on Linux; other POSIX systems would map here.
int64_t Result(long long syscall_result) { return syscall_result < 0 ? -static_cast<int64_t>(errno) : syscall_result; }

int Fd(lio_handle h) { return static_cast<int>(h); }

// Waits until `fd` has one of `events` or kBlockingBound passes.
bool WaitFor(int fd, short events) {
  pollfd p{fd, events, 0};
  int timeout_ms = static_cast<int>(std::chrono::milliseconds(kBlockingBound).count());
  int n;
  do {
    n = ::poll(&p, 1, timeout_ms);
  } while (n < 0 && errno == EINTR);
  return n > 0;
}

msghdr NativeMessage(lio_msghdr* m) {
  static_assert(sizeof(lio_iovec) == sizeof(iovec), "lio_iovec has struct iovec's layout");
  msghdr native{};
  native.msg_name = m->name;
  native.msg_namelen = m->namelen;
  native.msg_iov = reinterpret_cast<iovec*>(const_cast<lio_iovec*>(m->iov));
  native.msg_iovlen = m->iovcnt;
  native.msg_control = m->control;
  native.msg_controllen = static_cast<decltype(native.msg_controllen)>(m->controllen);
  return native;
}

int NativeOpenFlags(uint32_t lio_flags) {
  int flags = O_CLOEXEC;
  switch (lio_flags & LIO_OPEN_ACCMODE) {
    case LIO_OPEN_WRONLY: flags |= O_WRONLY; break;
    case LIO_OPEN_RDWR: flags |= O_RDWR; break;
    default: flags |= O_RDONLY; break;
  }
  if (lio_flags & LIO_OPEN_CREATE) flags |= O_CREAT;
  if (lio_flags & LIO_OPEN_EXCL) flags |= O_EXCL;
  if (lio_flags & LIO_OPEN_TRUNC) flags |= O_TRUNC;
  if (lio_flags & LIO_OPEN_APPEND) flags |= O_APPEND;
  if (lio_flags & LIO_OPEN_DIRECTORY) flags |= O_DIRECTORY;
#ifdef O_DIRECT
  if (lio_flags & LIO_OPEN_DIRECT) flags |= O_DIRECT;
#endif
  return flags;
}

}  // namespace

void InitProcess() { std::signal(SIGPIPE, SIG_IGN); }

void CloseHandle(lio_handle h) {
  if (h >= 0) ::close(Fd(h));
}

lio_handle KnownClosedHandle() {
  // The kernel hands out the lowest free descriptor, so a descriptor near the
  // top of the table stays free unless the process opens thousands of files.
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  rlim_t top = limit.rlim_cur < 4096 ? limit.rlim_cur : 4096;
  int probe = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int high = ::fcntl(probe, F_DUPFD_CLOEXEC, static_cast<int>(top) - 1);
  ::close(probe);
  if (high >= 0) ::close(high);
  return high >= 0 ? high : static_cast<int>(top) - 1;
}

bool IsOpenOn(lio_handle h, const std::filesystem::path& path) {
  struct stat of_handle {}, of_path {};
  return ::fstat(Fd(h), &of_handle) == 0 && ::stat(path.c_str(), &of_path) == 0 &&
         of_handle.st_dev == of_path.st_dev && of_handle.st_ino == of_path.st_ino;
}

bool IsInheritable(lio_handle h) { return (::fcntl(Fd(h), F_GETFD) & FD_CLOEXEC) == 0; }

std::optional<bool> IsBlocking(lio_handle h) { return (::fcntl(Fd(h), F_GETFL) & O_NONBLOCK) == 0; }

lio_handle OpenFile(const std::filesystem::path& path, Access access) {
  int mode = access == Access::kReadOnly ? O_RDONLY : access == Access::kWriteOnly ? O_WRONLY : O_RDWR;
  int fd = ::open(path.c_str(), mode | O_CLOEXEC);
  return fd < 0 ? LIO_INVALID_HANDLE : fd;
}

lio_handle OpenDirectory(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return fd < 0 ? LIO_INVALID_HANDLE : fd;
}

int64_t PositionedRead(lio_handle h, void* buf, size_t len, int64_t offset) {
  return Result(::pread(Fd(h), buf, len, offset));
}

int64_t PositionedWrite(lio_handle h, const void* buf, size_t len, int64_t offset) {
  return Result(::pwrite(Fd(h), buf, len, offset));
}

int64_t Write(lio_handle h, const void* buf, size_t len) { return Result(::write(Fd(h), buf, len)); }

int64_t FilePosition(lio_handle h) { return Result(::lseek(Fd(h), 0, SEEK_CUR)); }

int64_t Fsync(lio_handle h, bool data_only) {
#if defined(__APPLE__)
  (void)data_only;
  return Result(::fsync(Fd(h)));
#else
  return Result(data_only ? ::fdatasync(Fd(h)) : ::fsync(Fd(h)));
#endif
}

int64_t Close(lio_handle h) { return Result(::close(Fd(h))); }

int64_t Openat(lio_handle dir, const char* path, uint32_t lio_open_flags, uint32_t mode) {
  int dirfd = dir == LIO_AT_FDCWD ? AT_FDCWD : Fd(dir);
  return Result(::openat(dirfd, path, NativeOpenFlags(lio_open_flags), mode));
}

#if defined(__linux__)
namespace {

int DirFd(lio_handle h) { return h == LIO_AT_FDCWD ? AT_FDCWD : Fd(h); }

int64_t LinkCall(const lio_op& op) {
  const auto& l = op.u.link;
  switch (op.code) {
    case LIO_OP_LINKAT:
      return Result(::linkat(DirFd(op.handle), l.old_path, DirFd(l.new_dir), l.new_path,
                             (op.flags & LIO_LINKAT_FOLLOW) ? AT_SYMLINK_FOLLOW : 0));
    case LIO_OP_SYMLINKAT:
      return Result(::symlinkat(l.old_path, DirFd(l.new_dir), l.new_path));
    default:
      return Result(::renameat2(DirFd(op.handle), l.old_path, DirFd(l.new_dir), l.new_path, op.flags));
  }
}

int64_t StatxCall(const lio_op& op) {
  int flags = AT_STATX_SYNC_AS_STAT;
  if (op.flags & LIO_STATX_NOFOLLOW) flags |= AT_SYMLINK_NOFOLLOW;
  if (op.flags & LIO_STATX_EMPTY_PATH) flags |= AT_EMPTY_PATH;
  return Result(::statx(DirFd(op.handle), op.u.statx.path, flags, op.u.statx.mask,
                        reinterpret_cast<struct statx*>(op.u.statx.buf)));
}

}  // namespace

std::optional<int64_t> FsCall(const lio_op& op) {
  const auto& r = op.u.range;
  switch (op.code) {
    case LIO_OP_FTRUNCATE:
      return Result(::ftruncate(Fd(op.handle), op.u.truncate.length));
    case LIO_OP_LINKAT:
    case LIO_OP_SYMLINKAT:
    case LIO_OP_RENAMEAT:
      return LinkCall(op);
    case LIO_OP_UNLINKAT:
      return Result(::unlinkat(DirFd(op.handle), op.u.path.path, (op.flags & LIO_UNLINK_REMOVEDIR) ? AT_REMOVEDIR : 0));
    case LIO_OP_MKDIRAT:
      return Result(::mkdirat(DirFd(op.handle), op.u.path.path, op.u.path.mode));
    case LIO_OP_STATX:
      return StatxCall(op);
    case LIO_OP_FALLOCATE:
      return Result(::fallocate(Fd(op.handle), static_cast<int>(op.flags), r.offset, r.len));
    case LIO_OP_FADVISE:
      return -static_cast<int64_t>(::posix_fadvise(Fd(op.handle), r.offset, r.len, r.advice));
    default:
      return std::nullopt;
  }
}
#else
std::optional<int64_t> FsCall(const lio_op&) { return std::nullopt; }
#endif

std::optional<std::filesystem::path> DirectoryOnAnotherFilesystem(const std::filesystem::path& than) {
  struct stat here;
  if (::stat(than.c_str(), &here) != 0) return std::nullopt;
  for (const char* candidate : {"/dev/shm", "/tmp", "/var/tmp", "/run/shm"}) {
    struct stat there;
    if (::stat(candidate, &there) != 0 || !S_ISDIR(there.st_mode) || there.st_dev == here.st_dev) continue;
    if (::access(candidate, W_OK) == 0) return std::filesystem::path(candidate);
  }
  return std::nullopt;
}

int64_t Socket(int domain, int type, int protocol) {
#ifdef SOCK_CLOEXEC
  type |= SOCK_CLOEXEC;
#endif
  return Result(::socket(domain, type, protocol));
}

int64_t Bind(lio_handle h, const sockaddr* addr, uint32_t addrlen) { return Result(::bind(Fd(h), addr, addrlen)); }

int64_t Listen(lio_handle h) { return Result(::listen(Fd(h), 64)); }

int64_t Connect(lio_handle h, const sockaddr* addr, uint32_t addrlen) {
  return Result(::connect(Fd(h), addr, addrlen));
}

int64_t Accept(lio_handle h, sockaddr* addr, uint32_t* addrlen) {
  if (!WaitFor(Fd(h), POLLIN)) return -LIO_ETIMEDOUT;
  socklen_t len = addrlen ? *addrlen : 0;
  int64_t result = Result(::accept4(Fd(h), addr, addrlen ? &len : nullptr, SOCK_CLOEXEC));
  if (addrlen) *addrlen = len;
  return result;
}

int64_t Send(lio_handle h, const void* buf, size_t len, int flags) {
  return Result(::send(Fd(h), buf, len, flags | MSG_NOSIGNAL));
}

int64_t Recv(lio_handle h, void* buf, size_t len, int flags) {
  if (!WaitFor(Fd(h), POLLIN)) return -LIO_ETIMEDOUT;
  return Result(::recv(Fd(h), buf, len, flags));
}

int64_t Sendmsg(lio_handle h, lio_msghdr* msg, int flags) {
  msghdr native = NativeMessage(msg);
  return Result(::sendmsg(Fd(h), &native, flags | MSG_NOSIGNAL));
}

int64_t Recvmsg(lio_handle h, lio_msghdr* msg, int flags) {
  if (!WaitFor(Fd(h), POLLIN)) return -LIO_ETIMEDOUT;
  msghdr native = NativeMessage(msg);
  int64_t result = Result(::recvmsg(Fd(h), &native, flags));
  if (result >= 0) {
    msg->namelen = native.msg_namelen;
    msg->controllen = native.msg_controllen;
    msg->flags = native.msg_flags;
  }
  return result;
}

int64_t Shutdown(lio_handle h, int how) {
  int native = how == 0 ? SHUT_RD : how == 1 ? SHUT_WR : SHUT_RDWR;
  return Result(::shutdown(Fd(h), native));
}

int64_t LocalAddress(lio_handle h, sockaddr_in* addr) {
  socklen_t len = sizeof *addr;
  return Result(::getsockname(Fd(h), reinterpret_cast<sockaddr*>(addr), &len));
}

int64_t Poll(lio_handle h, uint32_t lio_events, std::chrono::milliseconds timeout) {
  static_assert(POLLIN == LIO_POLL_IN && POLLOUT == LIO_POLL_OUT && POLLERR == LIO_POLL_ERR && POLLHUP == LIO_POLL_HUP,
                "LIO_POLL_* are Linux's poll bits");
  pollfd p{Fd(h), static_cast<short>(lio_events), 0};
  int64_t n = Result(::poll(&p, 1, static_cast<int>(timeout.count())));
  return n <= 0 ? n : p.revents;
}

int MessageTruncatedFlag() { return MSG_TRUNC; }

std::filesystem::path SelfExecutable(const char* argv0) {
  std::error_code error;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::filesystem::path(argv0) : self;
}

ProcessExit RunProcess(const std::vector<std::string>& argv, const std::filesystem::path* stdout_path) {
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = ::fork();
  if (pid < 0) return {true, errno, std::string("fork failed: ") + std::strerror(errno)};
  if (pid == 0) {
    if (stdout_path != nullptr) {
      int out = ::open(stdout_path->c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (out < 0 || ::dup2(out, STDOUT_FILENO) < 0) ::_exit(127);
    }
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) {
    int signal = WTERMSIG(status);
    return {true, signal, "signal " + std::to_string(signal) + " (" + ::strsignal(signal) + ")"};
  }
  return {false, WEXITSTATUS(status), "exit status " + std::to_string(WEXITSTATUS(status))};
}

lio_plugin_register_fn PluginRegisterFunction(const std::filesystem::path& path) {
  void* library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
  if (library == nullptr) return nullptr;
  return reinterpret_cast<lio_plugin_register_fn>(dlsym(library, LIO_PLUGIN_REGISTER_SYMBOL));
}

// /proc is Linux's; elsewhere (macOS) the counts stay -1 and the case that
// uses them says it cannot count.
namespace {
int64_t CountEntries(const char* dir) {
  std::error_code error;
  std::filesystem::directory_iterator it(dir, error);
  if (error) return -1;
  int64_t n = 0;
  for (; it != std::filesystem::directory_iterator(); it.increment(error)) {
    if (error) return -1;
    ++n;
  }
  return n;
}

// The named mappings of /proc/self/maps: files and kernel objects (an
// io_uring ring is "anon_inode:[io_uring]"), not anonymous memory or
// [heap]/[stack], whose count the allocator varies on its own (arenas and
// thread stacks it keeps for reuse).
int64_t CountNamedMappings() {
  std::FILE* file = std::fopen("/proc/self/maps", "re");
  if (file == nullptr) return -1;
  int64_t n = 0;
  char line[4096];
  while (std::fgets(line, sizeof line, file) != nullptr) {
    // address perms offset dev inode [path]
    const char* p = line;
    for (int field = 0; field < 5 && *p != '\0'; ++field) {
      while (*p != '\0' && *p != ' ') ++p;
      while (*p == ' ') ++p;
    }
    if (*p != '\0' && *p != '\n' && *p != '[') ++n;
  }
  std::fclose(file);
  return n;
}

// The threads of /proc/self/task but io_uring's kernel threads: io-wq
// workers ("iou-wrk-N"), which the kernel starts for work that blocks and
// retires on its own idle timer, and SQPOLL's thread ("iou-sqp-N"), which
// exits when the kernel drops the ring's last reference, after destroy
// returned (the io_uring backend waits for it, boundedly). On a loaded
// machine either may come and go around any create/destroy. A backend's own threads (a worker pool) are counted.
int64_t CountThreads() {
  std::error_code error;
  std::filesystem::directory_iterator it("/proc/self/task", error);
  if (error) return -1;
  int64_t n = 0;
  for (; it != std::filesystem::directory_iterator(); it.increment(error)) {
    if (error) return -1;
    std::FILE* comm = std::fopen((it->path() / "comm").c_str(), "re");
    char name[64] = "";
    if (comm != nullptr) {
      if (std::fgets(name, sizeof name, comm) == nullptr) name[0] = '\0';
      std::fclose(comm);
    }
    if (std::strncmp(name, "iou-wrk-", 8) != 0 && std::strncmp(name, "iou-sqp-", 8) != 0) ++n;
  }
  return n;
}
}  // namespace

ResourceCounts CountResources() {
  // The directory iterator holds one fd of its own while counting; it is
  // there in every count alike.
  return {CountEntries("/proc/self/fd"), CountThreads(), CountNamedMappings()};
}

}  // namespace lio::testing::platform
