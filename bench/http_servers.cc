// Shared by the opt-in HTTP workloads (http_nginx.cc: the example against
// nginx; http_ref.cc: the example against minimal C responders): servers as
// processes pinned to a CPU, a wrk run against one of them and what it cost
// the server, the files they serve. See http_servers.h.
#include "bench/http_servers.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "bench/harness.h"

namespace lio::bench::http {

std::string FileName(size_t bytes) { return absl::StrFormat("f%d.bin", bytes); }

// ---- Processes ----

// The `k`-th CPU this process may run on, or -1 when it may run on fewer than
// two (then nothing is pinned).
int AllowedCpu(int k) {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0 || CPU_COUNT(&allowed) < 2) return -1;
  int seen = 0;
  for (int i = 0; i < CPU_SETSIZE; ++i) {
    if (CPU_ISSET(i, &allowed) && seen++ == k % CPU_COUNT(&allowed)) return i;
  }
  return -1;
}

// `name` as given when it has a slash, else found on PATH (and in /usr/sbin,
// where Debian puts nginx). "" when not found.
std::string FindProgram(const std::string& name) {
  if (name.find('/') != std::string::npos) return access(name.c_str(), X_OK) == 0 ? name : "";
  const char* path = getenv("PATH");
  std::string dirs = std::string(path ? path : "/usr/bin:/bin") + ":/usr/sbin:/sbin";
  for (absl::string_view dir : absl::StrSplit(dirs, ':')) {
    std::string candidate = absl::StrFormat("%s/%s", dir, name);
    if (!dir.empty() && access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// Starts `argv` (argv[0] a path) pinned to CPU `cpu` (-1: not pinned), at
// nice kNice when permitted, with
// stdout into a pipe (`capture`) or into `log`, stderr into `log`
// ("": /dev/null). The child gets SIGTERM if this process dies first.
std::optional<Process> Spawn(const std::vector<std::string>& argv, int cpu, bool capture, const std::string& log,
                             std::string* note) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int log_fd = open(log.empty() ? "/dev/null" : log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  int null_in = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int pipe_fds[2] = {-1, -1};
  if (log_fd < 0 || null_in < 0 || (capture && pipe2(pipe_fds, O_CLOEXEC) != 0)) {
    *note = absl::StrFormat("spawn %s: %s", argv[0], strerror(errno));
    if (log_fd >= 0) close(log_fd);
    if (null_in >= 0) close(null_in);
    return std::nullopt;
  }
  cpu_set_t one;
  CPU_ZERO(&one);
  if (cpu >= 0) CPU_SET(cpu, &one);
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {  // only async-signal-safe calls until exec
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(127);
    if (cpu >= 0) sched_setaffinity(0, sizeof one, &one);
    setpriority(PRIO_PROCESS, 0, kNice);  // ignored when not permitted
    dup2(null_in, 0);
    dup2(capture ? pipe_fds[1] : log_fd, 1);
    dup2(log_fd, 2);
    execv(args[0], args.data());
    _exit(127);
  }
  close(log_fd);
  close(null_in);
  if (capture) close(pipe_fds[1]);
  if (pid < 0) {
    *note = absl::StrFormat("fork: %s", strerror(errno));
    if (capture) close(pipe_fds[0]);
    return std::nullopt;
  }
  return Process{pid, capture ? pipe_fds[0] : -1};
}

bool Alive(pid_t pid) { return waitpid(pid, nullptr, WNOHANG) == 0; }

// SIGTERM, then SIGKILL after two seconds; reaps it.
void Stop(Process& p) {
  if (p.out >= 0) close(p.out);
  p.out = -1;
  if (p.pid <= 0) return;
  kill(p.pid, SIGTERM);
  for (int i = 0; i < 200; ++i) {
    if (waitpid(p.pid, nullptr, WNOHANG) != 0) {
      p.pid = -1;
      return;
    }
    usleep(10'000);
  }
  kill(p.pid, SIGKILL);
  waitpid(p.pid, nullptr, 0);
  p.pid = -1;
}

namespace {

// A line of `fd` (without the newline), within `timeout_s`; nullopt at end of
// file or on time out.
std::optional<std::string> ReadLine(int fd, double timeout_s) {
  std::string line;
  const double end = NowSeconds() + timeout_s;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    int left_ms = static_cast<int>((end - NowSeconds()) * 1000);
    if (left_ms <= 0 || poll(&p, 1, left_ms) <= 0) return std::nullopt;
    char c;
    ssize_t n = read(fd, &c, 1);
    if (n <= 0) return std::nullopt;
    if (c == '\n') return line;
    line += c;
  }
}

// The direct children of `pid` (nginx's worker), from /proc/*/stat.
std::vector<pid_t> Children(pid_t pid) {
  std::vector<pid_t> out;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return out;
  while (dirent* e = readdir(proc)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::ifstream f(absl::StrFormat("/proc/%s/stat", e->d_name));
    std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    size_t close_paren = text.rfind(')');
    if (close_paren == std::string::npos) continue;
    std::istringstream rest(text.substr(close_paren + 2));
    std::string state;
    long ppid = 0;
    rest >> state >> ppid;
    if (ppid == pid) out.push_back(static_cast<pid_t>(atol(e->d_name)));
  }
  closedir(proc);
  return out;
}

// utime + stime of `pid` (all its threads), in seconds; -1 if it is gone.
double ProcessCpu(pid_t pid) {
  std::ifstream f(absl::StrFormat("/proc/%d/stat", pid));
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  size_t close_paren = text.rfind(')');
  if (close_paren == std::string::npos) return -1;
  std::vector<std::string> fields = absl::StrSplit(text.substr(close_paren + 2), ' ');
  // Fields 14 and 15 of stat(5); fields[0] is field 3 (state).
  if (fields.size() < 13) return -1;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  return (std::stod(fields[11]) + std::stod(fields[12])) / ticks;
}

// The server's CPU seconds: the process and its children (nginx's worker).
double ServerCpu(pid_t pid) {
  double total = ProcessCpu(pid);
  for (pid_t child : Children(pid)) total += std::max(0.0, ProcessCpu(child));
  return total;
}

// Nanoseconds the threads of `pid` (and of its children, with_children)
// spent waiting on a run queue: runnable, but another task had the CPU
// (/proc/<pid>/task/*/schedstat, second field). 0 if unknown.
double RunQueueWait(pid_t pid, bool with_children) {
  std::vector<pid_t> pids = {pid};
  if (with_children) {
    for (pid_t c : Children(pid)) pids.push_back(c);
  }
  double total = 0;
  for (pid_t p : pids) {
    const std::string tasks = absl::StrFormat("/proc/%d/task", p);
    DIR* d = opendir(tasks.c_str());
    if (d == nullptr) continue;
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      std::ifstream f(absl::StrFormat("%s/%s/schedstat", tasks, e->d_name));
      double run = 0, wait = 0;
      if (f >> run >> wait) total += wait;
    }
    closedir(d);
  }
  return total;
}

// Descriptors open in the server process and its children.
long ServerFds(pid_t pid) {
  long n = 0;
  std::vector<pid_t> pids = Children(pid);
  pids.push_back(pid);
  for (pid_t p : pids) {
    DIR* d = opendir(absl::StrFormat("/proc/%d/fd", p).c_str());
    if (d == nullptr) continue;
    while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
    closedir(d);
  }
  return n;
}

}  // namespace

// ---- Sockets ----

namespace {

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  return a;
}

}  // namespace

// A port nobody listens on now (bound to 0 and released).
uint16_t FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a = Loopback(0);
  socklen_t len = sizeof a;
  uint16_t port = 0;
  if (fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  if (fd >= 0) close(fd);
  return port;
}

namespace {

int Connect(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a = Loopback(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Closes with a reset (SO_LINGER 0): no TIME_WAIT left behind, so thousands of
// idle clients per round do not use up the loopback's ephemeral ports.
void Reset(int fd) {
  linger l{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  close(fd);
}

}  // namespace

// GET /name with Connection: close; the body if the status is 200.
std::optional<std::string> Get(uint16_t port, const std::string& name, std::string* note) {
  int fd = Connect(port);
  if (fd < 0) {
    *note = absl::StrFormat("connect to 127.0.0.1:%d: %s", port, strerror(errno));
    return std::nullopt;
  }
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string request = absl::StrFormat("GET /%s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", name);
  std::string response;
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
    char buf[8192];
    ssize_t n;
    while ((n = recv(fd, buf, sizeof buf, 0)) > 0) response.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  size_t head_end = response.find("\r\n\r\n");
  if (response.rfind("HTTP/1.1 200 ", 0) != 0 || head_end == std::string::npos) {
    *note = absl::StrFormat("GET /%s: no 200 response (%s)", name, response.substr(0, response.find('\r')));
    return std::nullopt;
  }
  return response.substr(head_end + 4);
}

std::optional<std::string> GetWhole(uint16_t port, const std::string& name, std::string* note) {
  int fd = Connect(port);
  if (fd < 0) {
    *note = absl::StrFormat("connect to 127.0.0.1:%d: %s", port, strerror(errno));
    return std::nullopt;
  }
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  // As wrk asks: HTTP/1.1, a Host, no Connection header (keep-alive).
  std::string request = absl::StrFormat("GET /%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n", name, port);
  std::string response;
  size_t whole = std::string::npos;  // head + Content-Length, once the head is in
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
    char buf[8192];
    ssize_t n;
    while (response.size() < whole && (n = recv(fd, buf, sizeof buf, 0)) > 0) {
      response.append(buf, static_cast<size_t>(n));
      size_t head_end = response.find("\r\n\r\n");
      size_t at = response.find("\r\nContent-Length: ");
      if (whole == std::string::npos && head_end != std::string::npos && at != std::string::npos && at < head_end) {
        whole = head_end + 4 + std::strtoul(response.c_str() + at + 18, nullptr, 10);
      }
    }
  }
  close(fd);
  if (whole == std::string::npos || response.size() != whole) {
    *note = absl::StrFormat("GET /%s (keep-alive): %d bytes, not a whole response with Content-Length", name,
                            response.size());
    return std::nullopt;
  }
  return response;
}

// Waits until 127.0.0.1:port accepts a connection (and the process lives).
bool WaitListening(const Process& p, uint16_t port, std::string* note) {
  for (int i = 0; i < 500; ++i) {
    if (!Alive(p.pid)) {
      *note = "exited at start";
      return false;
    }
    int fd = Connect(port);
    if (fd >= 0) {
      close(fd);
      return true;
    }
    usleep(10'000);
  }
  *note = absl::StrFormat("not listening on 127.0.0.1:%d after 5 s", port);
  return false;
}

void StartListening(Server& server, const std::vector<std::string>& argv, const std::string& log, int cpu) {
  auto p = Spawn(argv, cpu, true, log, &server.note);
  if (!p) return;
  server.process = *p;
  std::optional<std::string> line = ReadLine(server.process.out, 10);
  unsigned port = 0;
  if (!line || sscanf(line->c_str(), "listening on 127.0.0.1:%u", &port) != 1 || port == 0) {
    std::ifstream f(log);
    std::string why((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    server.note = absl::StrFormat("%s did not start: %s", server.name, why.substr(0, why.find('\n')));
    Stop(server.process);
    return;
  }
  server.port = static_cast<uint16_t>(port);
}

void StartLio(Server& server, const std::string& binary, const std::filesystem::path& dir, int cpu) {
  if (access(binary.c_str(), X_OK) != 0) {
    server.note = absl::StrFormat("no %s (built by tools/lio bench; --http_server PATH)", binary);
    return;
  }
  // The header deadline as long as nginx's client_header_timeout (60 s):
  // both servers keep the idle clients for the whole run.
  std::vector<std::string> argv = {binary, "--root", (dir / "www").string(), "--backend", server.name,
                                   "--port", "0", "--threads", "1", "--header_timeout_ms", "60000"};
  // As a static-file server on io_uring should run: every request opens a
  // regular file, which then needs no hop to an io-wq worker thread.
  if (server.name == "io_uring") argv.insert(argv.end(), {"--backend_options", "open_async=0"});
  StartListening(server, argv, (dir / (server.name + ".log")).string(), cpu);
}

// Every file, fetched once, must be byte-identical to what is on disk.
void CheckServes(Server& server, const std::filesystem::path& dir, const std::vector<size_t>& sizes) {
  for (size_t bytes : sizes) {
    std::ifstream f(dir / "www" / FileName(bytes), std::ios::binary);
    std::string expected((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    std::optional<std::string> got = Get(server.port, FileName(bytes), &server.note);
    if (!got) return;
    if (*got != expected) {
      server.note = absl::StrFormat("%s: /%s served %d bytes that differ from the file", server.name,
                                    FileName(bytes), got->size());
      return;
    }
  }
}

// ---- One measurement ----

namespace {

// A wrk report's numbers; nullopt (and *note) when it counted errors.
std::optional<std::pair<double, double>> ParseWrk(const std::string& text, std::string* note) {
  double requests = -1, rate = -1;
  long connect = 0, read = 0, write = 0, timeout = 0, non2xx = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::string l(line);
    double seconds;
    if (sscanf(l.c_str(), " %lf requests in %lf", &requests, &seconds) == 2) continue;
    if (sscanf(l.c_str(), "Requests/sec: %lf", &rate) == 1) continue;
    if (sscanf(l.c_str(), " Socket errors: connect %ld, read %ld, write %ld, timeout %ld", &connect, &read, &write,
               &timeout) == 4) {
      continue;
    }
    sscanf(l.c_str(), " Non-2xx or 3xx responses: %ld", &non2xx);
  }
  if (requests <= 0 || rate <= 0) {
    *note = "wrk: no result: " + text.substr(0, 200);
    return std::nullopt;
  }
  if (connect + read + write + timeout + non2xx > 0) {
    *note = absl::StrFormat("wrk saw errors (connect %d, read %d, write %d, timeout %d, non-2xx %d)", connect, read,
                            write, timeout, non2xx);
    return std::nullopt;
  }
  return std::make_pair(requests, rate);
}

// Opens `n` connections to `port` from a thread pinned to the client CPU.
std::vector<int> OpenIdle(uint16_t port, int n, int cpu, std::string* note) {
  std::vector<int> fds;
  std::thread opener([&] {
    if (cpu >= 0) {
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(cpu, &one);
      sched_setaffinity(0, sizeof one, &one);
    }
    fds.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      int fd = Connect(port);
      if (fd < 0) {
        *note = absl::StrFormat("idle client %d of %d: connect: %s", i + 1, n, strerror(errno));
        return;
      }
      fds.push_back(fd);
    }
  });
  opener.join();
  return fds;
}

}  // namespace

std::optional<Sample> RunOnce(const Server& server, const Config& c, const std::string& wrk, int wrk_seconds,
                              int client_cpu, std::string* note) {
  if (!Alive(server.process.pid)) {
    *note = server.name + ": the server exited";
    return std::nullopt;
  }
  std::vector<int> idle;
  const long before = c.idle > 0 ? ServerFds(server.process.pid) : 0;
  // Resets the idle clients and waits (up to 10 s) until the server has
  // closed them, so that work does not land in the next server's run.
  auto reset_idle = [&] {
    for (int fd : idle) Reset(fd);
    if (idle.empty()) return;
    const double give_up = NowSeconds() + 10;
    while (ServerFds(server.process.pid) > before + c.conns && NowSeconds() < give_up) usleep(20'000);
  };
  if (c.idle > 0) {
    idle = OpenIdle(server.port, c.idle, client_cpu, note);
    if (static_cast<int>(idle.size()) != c.idle) {
      reset_idle();
      return std::nullopt;
    }
    // Connected is not yet accepted: wait until the server holds them all.
    const double give_up = NowSeconds() + 30;
    while (ServerFds(server.process.pid) < before + c.idle) {
      if (NowSeconds() > give_up) {
        *note = absl::StrFormat("%s: holds %d descriptors, not %d, 30 s after %d idle clients connected", server.name,
                                ServerFds(server.process.pid), before + c.idle, c.idle);
        reset_idle();
        return std::nullopt;
      }
      usleep(20'000);
    }
  }
  const std::string url = absl::StrFormat("http://127.0.0.1:%d/%s", server.port, FileName(c.file_bytes));
  std::vector<std::string> argv = {wrk, "-t1", absl::StrFormat("-c%d", c.conns), absl::StrFormat("-d%ds", wrk_seconds),
                                   url};
  const double cpu0 = ServerCpu(server.process.pid);
  const double wait0 = RunQueueWait(server.process.pid, true);
  const double t0 = NowSeconds();
  auto p = Spawn(argv, client_cpu, true, "", note);
  if (!p) {
    reset_idle();
    return std::nullopt;
  }
  // wrk's report; meanwhile its run-queue wait, sampled every 20 ms (its
  // threads' figures go when they exit, so the last sample is the figure).
  std::string text;
  double wrk_wait_ns = 0;
  for (;;) {
    pollfd pfd{p->out, POLLIN, 0};
    if (poll(&pfd, 1, 20) == 0) {
      wrk_wait_ns = std::max(wrk_wait_ns, RunQueueWait(p->pid, false));
      continue;
    }
    char buf[4096];
    ssize_t n = read(p->out, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  close(p->out);
  int status = 0;
  rusage ru{};
  while (wait4(p->pid, &status, 0, &ru) < 0 && errno == EINTR) {
  }
  const double wall = NowSeconds() - t0;
  const double server_cpu = ServerCpu(server.process.pid) - cpu0;
  const double server_wait = (RunQueueWait(server.process.pid, true) - wait0) * 1e-9;
  reset_idle();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    *note = absl::StrFormat("wrk exited with status %d: %s", status, text.substr(0, 200));
    return std::nullopt;
  }
  auto parsed = ParseWrk(text, note);
  if (!parsed) {
    *note = server.name + ": " + *note;
    return std::nullopt;
  }
  const double wrk_cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
  Sample s;
  s.rate = parsed->second;
  s.server_cpu_us = server_cpu / parsed->first * 1e6;
  s.server_demand = (server_cpu + server_wait) / wall * 100;
  s.wrk_demand = (wrk_cpu + wrk_wait_ns * 1e-9) / wall * 100;
  return s;
}

// The example server built beside this program (bazel-bin/bench/lio_bench
// → bazel-bin/examples/http_server/http_server), unless
// $LIO_BENCH_HTTP_SERVER names another.
std::string HttpServerBinary() {
  if (const char* env = getenv("LIO_BENCH_HTTP_SERVER"); env != nullptr && *env) return env;
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (self.parent_path().parent_path() / "examples" / "http_server" / "http_server").string();
}

// Raises the soft RLIMIT_NOFILE to the hard one (the idle clients are
// descriptors of this process); returns the limit now.
long RaiseFileLimit() {
  rlimit l{};
  if (getrlimit(RLIMIT_NOFILE, &l) != 0) return 1024;
  if (l.rlim_cur < l.rlim_max) {
    rlimit raised = l;
    raised.rlim_cur = l.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) l = raised;
  }
  return l.rlim_cur == RLIM_INFINITY || l.rlim_cur > (1u << 30) ? (1l << 30) : static_cast<long>(l.rlim_cur);
}

// www/f<N>.bin for each size, readable by nginx's unprivileged worker.
// Returns "" or why not.
std::string WriteFiles(const std::filesystem::path& dir, const std::vector<size_t>& sizes) {
  std::error_code ec;
  std::filesystem::create_directory(dir / "www", ec);
  if (ec || chmod(dir.c_str(), 0755) != 0 || chmod((dir / "www").c_str(), 0755) != 0) {
    return "cannot make " + (dir / "www").string();
  }
  for (size_t bytes : sizes) {
    std::string data(bytes, '\0');
    for (size_t i = 0; i < bytes; ++i) data[i] = static_cast<char>('a' + (i * 7 + i / 26) % 26);
    const std::filesystem::path file = dir / "www" / FileName(bytes);
    std::ofstream(file, std::ios::binary) << data;
    if (chmod(file.c_str(), 0644) != 0) return "cannot write " + file.string();
  }
  return "";
}

RowKeys RowKeysOf(const std::string& rate_key) {
  return {rate_key, rate_key + " server-cpu", rate_key + " server-demand", rate_key + " wrk-demand"};
}

int WrkSeconds(const Settings& s) { return std::max(1, static_cast<int>(std::ceil(s.seconds))); }

std::string Announce(const Server& server, const Settings& s) {
  errno = 0;
  const int nice = getpriority(PRIO_PROCESS, static_cast<id_t>(server.process.pid));
  if (s.verbose) absl::FPrintF(stderr, "  %s: pid %d on 127.0.0.1:%d\n", server.name, server.process.pid, server.port);
  return errno == 0 && nice == kNice ? absl::StrFormat("%d", kNice) : "0 (not permitted to raise it)";
}

void MeasureServers(const std::vector<Server>& servers, const std::vector<Config>& configs,
                    const std::function<std::optional<RowKeys>(const std::string& server, const Config&)>& keys,
                    const Settings& s, const std::string& wrk, int client_cpu, Results* out) {
  Settings run = s;
  if (s.quick) run.repetitions = 1;  // rows only run: tools/test reads no figure
  for (const Config& c : configs) {
    std::vector<Variant> variants;
    for (const Server& server : servers) {
      const std::optional<RowKeys> k = keys(server.name, c);
      if (!k) continue;
      if (!server.note.empty()) {
        for (const std::string* key : {&k->rate, &k->cpu, &k->demand, &k->wrk_demand}) (*out)[*key].note = server.note;
        continue;
      }
      Measurement* cpu = &(*out)[k->cpu];
      Measurement* demand = &(*out)[k->demand];
      Measurement* wrk_demand = &(*out)[k->wrk_demand];
      variants.push_back({k->rate, [&, c, cpu, demand, wrk_demand, server = &server](
                                       std::string* note) -> std::optional<double> {
                            auto sample = RunOnce(*server, c, wrk, WrkSeconds(run), client_cpu, note);
                            if (!sample) {
                              for (Measurement* m : {cpu, demand, wrk_demand}) m->note = *note;
                              return std::nullopt;
                            }
                            cpu->samples.push_back(sample->server_cpu_us);
                            demand->samples.push_back(sample->server_demand);
                            wrk_demand->samples.push_back(sample->wrk_demand);
                            return sample->rate / 1e3;
                          }});
    }
    RunInterleaved(run, variants, out);
  }
}

void StopAndRemove(std::vector<Server>& servers, const char* dir_template) {
  for (Server& server : servers) Stop(server.process);
  if (std::string(dir_template).find("XXXXXX") != std::string::npos) return;  // mkdtemp failed: nothing made
  std::error_code ec;
  std::filesystem::remove_all(dir_template, ec);
}

}  // namespace lio::bench::http
