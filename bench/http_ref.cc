// http_ref: the HTTP example (examples/http_server, the optimized build) on
// io_uring and on the poller against minimal HTTP responders in C doing the
// same work per request: a raw epoll loop (bench/ref/http_epoll.c) and a
// libuv one (bench/ref/http_uv.c). Opt-in beside the nginx rows
// (`lio_bench --nginx`: it needs wrk), with the same harness
// (http_servers.h): every server a process of its own pinned to the first
// CPU, wrk (one thread, keep-alive) pinned to the second, interleaved rounds,
// medians, server CPU per request.
//
// Same work: for GET /f<N>.bin the example does stat, open, read at offset 0,
// close (through its backend: io_uring ops, or the poller's worker pool) and
// one send of head + body; the responders do stat, open, pread, close and
// one send, synchronously on their one thread (what a hand-written epoll or
// libuv server does; the files stay in the page cache). Before measuring,
// each server's keep-alive response to wrk's request must equal the
// example's byte for byte (the Server value aside) and its body the file.
//
// The responders are this program run as `lio_bench --child=http_epoll ROOT`
// (or http_uv): loopback only, port chosen by the OS and printed, stopped
// with SIGTERM like nginx (and by PR_SET_PDEATHSIG if lio_bench dies).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "bench/harness.h"
#include "bench/http_servers.h"
#include "bench/ref/http_epoll.h"
#include "bench/ref/http_uv.h"

namespace lio::bench {
namespace {

using namespace ::lio::bench::http;  // the servers, wrk runs and files (http_servers.h)

struct Reference {
  const char* server;  // the server's name, and its child program's
  const char* name;    // as the table shows it
};
constexpr Reference kReferences[] = {{"http_epoll", "raw epoll"}, {"http_uv", "libuv"}};
constexpr const char* kLioServers[] = {"io_uring", "poller"};

std::vector<Config> Configs(const Settings& s) {
  if (s.quick) return {{64, 64, 0}};
  return {{64, 64, 0}, {4096, 64, 0}};
}

std::string Params(const Config& c, const std::string& suffix) {
  std::string size = c.file_bytes >= 1024 ? absl::StrFormat("%d KiB", c.file_bytes / 1024)
                                          : absl::StrFormat("%d B", c.file_bytes);
  return absl::StrFormat("%d conns, %s file%s", c.conns, size, suffix);
}

std::string Key(const std::string& server, const Config& c) {
  return absl::StrFormat("http_ref %s size=%d conns=%d", server, c.file_bytes, c.conns);
}
std::string CpuKey(const std::string& server, const Config& c) { return RowKeysOf(Key(server, c)).cpu; }
std::string DemandKey(const std::string& server, const Config& c) { return RowKeysOf(Key(server, c)).demand; }
std::string WrkDemandKey(const std::string& server, const Config& c) { return RowKeysOf(Key(server, c)).wrk_demand; }
// Every figure one wrk run gives for `server` in `c`, beside the rate.
std::vector<std::string> SideKeys(const std::string& server, const Config& c) {
  return {CpuKey(server, c), DemandKey(server, c), WrkDemandKey(server, c)};
}

// ---- The responders, run as `lio_bench --child=NAME ROOT` ----

// Listens on 127.0.0.1 (a port the OS picks, printed as the example prints
// it) and serves ROOT with `serve` until killed.
int ResponderMain(const std::vector<std::string>& args, int (*serve)(int, const char*)) {
  if (args.size() != 1) {
    std::fprintf(stderr, "usage: lio_bench --child=http_epoll|http_uv ROOT\n");
    return 2;
  }
  rlimit l{};  // as the example does: one descriptor per connection
  if (getrlimit(RLIMIT_NOFILE, &l) == 0 && l.rlim_cur < l.rlim_max) {
    l.rlim_cur = l.rlim_max;
    setrlimit(RLIMIT_NOFILE, &l);
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd, 1024) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    std::fprintf(stderr, "listen on 127.0.0.1: %s\n", strerror(errno));
    return 1;
  }
  std::printf("listening on 127.0.0.1:%d\n", ntohs(a.sin_port));
  std::fflush(stdout);
  int error = serve(fd, args[0].c_str());
  std::fprintf(stderr, "serve: error %d\n", error);
  return 1;
}

const bool children_registered = [] {
  RegisterChild("http_epoll", [](const std::vector<std::string>& args) { return ResponderMain(args, http_epoll_serve); });
  RegisterChild("http_uv", [](const std::vector<std::string>& args) { return ResponderMain(args, http_uv_serve); });
  return true;
}();

void StartResponder(Server& server, const std::filesystem::path& dir, int cpu) {
  std::error_code ec;
  const std::string self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  std::vector<std::string> argv = {self, "--child=" + server.name, (dir / "www").string()};
  StartListening(server, argv, (dir / (server.name + ".log")).string(), cpu);
}

// "Server: <value>" masked: the one line the responses may differ in.
std::string MaskServer(std::string response) {
  size_t at = response.find("\r\nServer: ");
  size_t end = at == std::string::npos ? at : response.find("\r\n", at + 2);
  if (end != std::string::npos) response.replace(at + 10, end - at - 10, "*");
  return response;
}

// The whole keep-alive response of each server, for each size, must be the
// example's (`model`), byte for byte but the Server value.
void CheckSameResponse(Server& server, const Server& model, const std::vector<size_t>& sizes) {
  for (size_t bytes : sizes) {
    std::optional<std::string> want = GetWhole(model.port, FileName(bytes), &server.note);
    if (!want) {
      server.note = model.name + ": " + server.note;
      return;
    }
    std::optional<std::string> got = GetWhole(server.port, FileName(bytes), &server.note);
    if (!got) return;
    if (MaskServer(*got) != MaskServer(*want)) {
      server.note = absl::StrFormat("%s: its response to GET /%s differs from %s's (head: %s)", server.name,
                                    FileName(bytes), model.name,
                                    absl::StrReplaceAll(got->substr(0, got->find("\r\n\r\n")), {{"\r\n", " | "}}));
      return;
    }
  }
}

// ---- The workload ----

class HttpRefWorkload : public Workload {
 public:
  int order() const override { return 81; }
  std::string name() const override { return "http_ref"; }
  bool opt_in() const override { return true; }
  std::string method(const Settings& s) const override {
    return absl::StrFormat(
        "http vs raw epoll / libuv: examples/http_server (optimized, 1 thread) on io_uring (open_async=0) and poller vs minimal "
        "C responders (bench/ref/http_epoll.c: level-triggered epoll; http_uv.c: libuv) doing the same work per "
        "GET /f<N>.bin: stat + open + read + close of the file and one send of head + body (the responders with "
        "plain syscalls on their thread, lio through its backend: io_uring ops, the poller's file worker pool), "
        "keep-alive; each server's response checked byte for byte against the example's (Server value aside) "
        "before measuring; wrk -t1 -d%ds; server pinned to CPU 0, wrk to CPU 1, nice %s; k req/s; server CPU = "
        "utime+stime / requests; CPU demand = (CPU s + run-queue wait s) / wall s (~100%%: that side limits the "
        "row)%s",
        WrkSeconds(s), nice_, s.quick ? "; --quick: 1 repetition, one size" : "");
  }
  std::vector<RowSpec> rows(const Settings& s) const override {
    std::vector<RowSpec> rows;
    for (const Config& c : Configs(s)) {
      for (const char* who : kLioServers) {
        for (const Reference& ref : kReferences) {
          const std::string vs = std::string(", vs ") + ref.name;
          rows.push_back({"http", who, Params(c, vs), "k req/s", Key(who, c), Key(ref.server, c), ref.name,
                          Target::None(), 1});
          rows.push_back({"http", who, Params(c, ", server CPU" + vs), "us/req", CpuKey(who, c),
                          CpuKey(ref.server, c), ref.name, Target::None(), 1});
          // Which side limits the row: ~100% for the server says it is saturated.
          rows.push_back({"http", who, Params(c, ", server CPU demand" + vs), "%", DemandKey(who, c),
                          DemandKey(ref.server, c), ref.name, Target::None(), 0});
          rows.push_back({"http", who, Params(c, ", wrk CPU demand" + vs), "%", WrkDemandKey(who, c),
                          WrkDemandKey(ref.server, c), ref.name, Target::None(), 0});
        }
      }
    }
    return rows;
  }

  void Run(const Settings& s, const std::set<std::string>& needed, Results* out) override {
    const std::vector<Config> configs = Configs(s);
    std::vector<size_t> sizes;
    for (const Config& c : configs) sizes.push_back(c.file_bytes);
    auto wanted = [&](const std::string& who, const Config& c) {
      if (needed.count(Key(who, c))) return true;
      for (const std::string& key : SideKeys(who, c)) {
        if (needed.count(key)) return true;
      }
      return false;
    };
    auto wanted_in_any = [&](const std::string& who) {
      for (const Config& c : configs) {
        if (wanted(who, c)) return true;
      }
      return false;
    };
    std::string common_note;
    const std::string wrk = FindProgram("wrk");
    if (wrk.empty()) common_note = "wrk: not installed (Debian's wrk; tools/setup installs it)";
    RaiseFileLimit();
    char dir_template[] = "/tmp/lio-bench-http-ref-XXXXXX";
    if (common_note.empty() && mkdtemp(dir_template) == nullptr) common_note = "mkdtemp failed";
    const std::filesystem::path dir = dir_template;
    if (common_note.empty()) common_note = WriteFiles(dir, sizes);

    const int server_cpu = AllowedCpu(0), client_cpu = AllowedCpu(1);
    // The example is the model the responders' bytes are checked against
    // (on io_uring; on the poller when io_uring cannot run), so both start
    // even when only some of their rows are wanted.
    std::vector<Server> servers;
    auto start = [&](const std::string& who, bool lio) {
      Server server;
      server.name = who;
      if (!common_note.empty()) {
        server.note = common_note;
      } else if (lio) {
        StartLio(server, HttpServerBinary(), dir, server_cpu);
      } else {
        StartResponder(server, dir, server_cpu);
      }
      if (server.note.empty()) CheckServes(server, dir, sizes);
      if (server.note.empty()) nice_ = Announce(server, s);
      servers.push_back(std::move(server));
    };
    for (const char* who : kLioServers) start(who, true);
    std::optional<size_t> model;  // the first example that runs
    for (size_t i = 0; i < servers.size() && !model; ++i) {
      if (servers[i].note.empty()) model = i;
    }
    for (const Reference& ref : kReferences) {
      if (wanted_in_any(ref.server)) start(ref.server, false);
    }
    for (size_t i = 0; i < servers.size(); ++i) {
      if (!servers[i].note.empty() || i == model) continue;
      if (!model) {
        servers[i].note = "no example to check its responses against: " + servers[0].note;
      } else {
        CheckSameResponse(servers[i], servers[*model], sizes);
      }
    }

    MeasureServers(
        servers, configs,
        [&](const std::string& who, const Config& c) -> std::optional<RowKeys> {
          if (!wanted(who, c)) return std::nullopt;
          return RowKeysOf(Key(who, c));
        },
        s, wrk, client_cpu, out);
    StopAndRemove(servers, dir_template);
  }

 private:
  std::string nice_ = "-";  // as the servers got it
};

LIO_BENCH_REGISTER_WORKLOAD(HttpRefWorkload)

}  // namespace
}  // namespace lio::bench
