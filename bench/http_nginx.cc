// http: the HTTP example (examples/http_server, the optimized build) on
// io_uring and on the poller against nginx, under wrk, serving the same files
// from the same directory. Opt-in (`lio_bench --nginx`): it needs Debian's
// nginx-light and wrk (tools/setup installs them) and takes minutes.
//
// Each server is a process of its own pinned to the first CPU; wrk (one
// thread) is pinned to the second; both at nice -20 when permitted (kNice). nginx runs in the foreground from a
// private prefix (a temporary directory with its own nginx.conf: one worker,
// access_log off, error_log and pid file in that directory, sendfile on,
// 127.0.0.1 on a free port). All three servers start once and are stopped at
// the end; in each round every server gets one wrk run, in an order that
// rotates. Figures per run: requests/s (wrk), the server's CPU time per
// request (utime + stime from /proc/<pid>/stat, the server process and its
// children, over the wrk run ÷ the requests wrk counted), and how much of
// the run the server and wrk wanted their CPU ((CPU time + run-queue wait
// from schedstat) ÷ wall time: near 100% says that side limits the row, even
// when a busy neighbour took part of its CPU). The idle rows first open N connections from a thread of
// this process pinned to the client CPU, wait until the server holds them
// all (its descriptor count), run wrk beside them, then reset them. The
// processes, the wrk run and the files are http_servers.h's (shared with
// http_ref.cc, the example against minimal C responders).
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "bench/harness.h"
#include "bench/http_servers.h"

namespace lio::bench {
namespace {

using namespace ::lio::bench::http;  // the servers, wrk runs and files (http_servers.h)

std::vector<Config> Configs(const Settings& s) {
  if (s.quick) return {{64, 64, 0}, {64, 64, 1000}};
  return {{64, 1, 0}, {4096, 1, 0}, {64, 64, 0}, {4096, 64, 0}, {64, 64, 10000}};
}

std::string Params(const Config& c) {
  std::string size = c.file_bytes >= 1024 ? absl::StrFormat("%d KiB", c.file_bytes / 1024)
                                          : absl::StrFormat("%d B", c.file_bytes);
  std::string out = absl::StrFormat("%s file, %d conn%s", size, c.conns, c.conns == 1 ? "" : "s");
  if (c.idle > 0) out += absl::StrFormat(" + %d idle", c.idle);
  return out;
}

std::string Key(const std::string& server, const Config& c) {
  return absl::StrFormat("http %s size=%d conns=%d idle=%d", server, c.file_bytes, c.conns, c.idle);
}
std::string CpuKey(const std::string& server, const Config& c) { return RowKeysOf(Key(server, c)).cpu; }
std::string DemandKey(const std::string& server, const Config& c) { return RowKeysOf(Key(server, c)).demand; }
std::string WrkDemandKey(const std::string& server, const Config& c) { return RowKeysOf(Key(server, c)).wrk_demand; }

constexpr const char* kServers[] = {"io_uring", "poller", "nginx"};

std::string NginxConf(const std::filesystem::path& dir, uint16_t port, long max_fds, int connections) {
  const std::string d = dir.string();
  return absl::StrFormat(
      "# Written by lio_bench (bench/http_nginx.cc): nginx beside lio's HTTP example.\n"
      "daemon off;\n"
      "worker_processes 1;\n"
      "worker_rlimit_nofile %d;\n"
      "pid %s/nginx.pid;\n"
      "error_log %s/error.log;\n"
      "events { worker_connections %d; }\n"
      "http {\n"
      "  access_log off;\n"
      "  sendfile on;\n"
      "  tcp_nopush on;  # as Debian's nginx.conf: the head and a small body leave in one segment\n"
      "  default_type application/octet-stream;\n"
      "  keepalive_requests 1000000000;  # lio's example has no such limit: wrk's connections stay up on both\n"
      "  client_body_temp_path %s/body;\n"
      "  proxy_temp_path %s/proxy;\n"
      "  fastcgi_temp_path %s/fastcgi;\n"
      "  uwsgi_temp_path %s/uwsgi;\n"
      "  scgi_temp_path %s/scgi;\n"
      "  server {\n"
      "    listen 127.0.0.1:%d;\n"
      "    root %s/www;\n"
      "  }\n"
      "}\n",
      max_fds, d, d, connections, d, d, d, d, d, port, d);
}

void StartNginx(Server& server, const std::filesystem::path& dir, long max_fds, int connections, int cpu) {
  std::string nginx = FindProgram("nginx");
  if (nginx.empty()) {
    server.note = "nginx: not installed (Debian's nginx-light; tools/setup installs it)";
    return;
  }
  server.port = FreePort();
  std::ofstream(dir / "nginx.conf") << NginxConf(dir, server.port, max_fds, connections);
  // -e: the error log before the configuration is read (else /var/log/nginx).
  std::vector<std::string> argv = {nginx, "-p", dir.string(), "-c", (dir / "nginx.conf").string(),
                                   "-e", (dir / "error.log").string()};
  auto p = Spawn(argv, cpu, false, (dir / "nginx.out").string(), &server.note);
  if (!p) return;
  server.process = *p;
  if (!WaitListening(server.process, server.port, &server.note)) {
    server.note = absl::StrFormat("nginx: %s (see %s/error.log)", server.note, dir.string());
    Stop(server.process);
  }
}

// ---- The workload ----

class HttpNginxWorkload : public Workload {
 public:
  int order() const override { return 80; }
  std::string name() const override { return "http"; }
  bool opt_in() const override { return true; }
  std::string method(const Settings& s) const override {
    return absl::StrFormat(
        "http: examples/http_server (optimized, 1 thread) on io_uring (open_async=0) and poller vs nginx %s (1 worker, sendfile on, "
        "tcp_nopush on, access_log off, keepalive_requests unlimited) serving the same files; wrk -t1 -d%ds; server pinned to CPU "
        "0, wrk to CPU 1; k req/s; server CPU = utime+stime from /proc/<pid>/stat (+children) over the run / "
        "requests; CPU demand = (CPU s + run-queue wait s, schedstat) / wall s (~100%%: that side limits the row); "
        "idle clients connect from a thread on CPU 1 and are held by the server (counted in its fds) before wrk "
        "starts; servers and wrk at nice %s%s",
        NginxVersion(), WrkSeconds(s), nice_, s.quick ? "; --quick: 1 repetition, fewer rows" : "");
  }
  std::vector<RowSpec> rows(const Settings& s) const override {
    std::vector<RowSpec> rows;
    for (const Config& c : Configs(s)) {
      const bool targeted = c.conns == 64 && c.idle == 0;
      const std::string p = Params(c);
      rows.push_back({"http", "io_uring", p, "k req/s", Key("io_uring", c), Key("nginx", c), "nginx",
                      targeted ? Target::AtLeast(1.1) : Target::None(), 1});
      rows.push_back({"http", "poller", p, "k req/s", Key("poller", c), Key("nginx", c), "nginx",
                      targeted ? Target::AtLeast(0.9) : Target::None(), 1});
      if (c.idle > 0) {  // each server against itself without the idle clients
        const Config quiet{c.file_bytes, c.conns, 0};
        const std::string vs = absl::StrFormat("%s, vs without idle", p);
        for (const char* who : kServers) {
          rows.push_back({"http", who, vs, "k req/s", Key(who, c), Key(who, quiet), std::string(who) + " no idle",
                          std::string(who) == "nginx" ? Target::None() : Target::AtLeast(0.9), 1});
        }
      }
    }
    for (const Config& c : Configs(s)) {
      for (const char* who : {"io_uring", "poller"}) {
        rows.push_back({"http", who, Params(c) + ", server CPU", "us/req", CpuKey(who, c), CpuKey("nginx", c),
                        "nginx", Target::None(), 1});
      }
    }
    for (const Config& c : Configs(s)) {
      for (const char* who : {"io_uring", "poller"}) {
        rows.push_back({"http", who, Params(c) + ", server CPU demand", "%", DemandKey(who, c), DemandKey("nginx", c), "nginx",
                        Target::None(), 0});
        rows.push_back({"http", who, Params(c) + ", wrk CPU demand", "%", WrkDemandKey(who, c), WrkDemandKey("nginx", c),
                        "nginx", Target::None(), 0});
      }
    }
    return rows;
  }

  void Run(const Settings& s, const std::set<std::string>& needed, Results* out) override {
    std::vector<Config> configs = Configs(s);
    int max_idle = 0;
    std::vector<size_t> sizes;
    for (const Config& c : configs) {
      max_idle = std::max(max_idle, c.idle);
      if (std::find(sizes.begin(), sizes.end(), c.file_bytes) == sizes.end()) sizes.push_back(c.file_bytes);
    }
    auto wanted = [&](const std::string& who, const Config& c) {
      return needed.count(Key(who, c)) || needed.count(CpuKey(who, c)) || needed.count(DemandKey(who, c)) ||
             needed.count(WrkDemandKey(who, c));
    };
    std::string common_note;
    const std::string wrk = FindProgram("wrk");
    if (wrk.empty()) common_note = "wrk: not installed (Debian's wrk; tools/setup installs it)";
    const long max_fds = RaiseFileLimit();
    if (common_note.empty() && max_fds < max_idle + 1024) {
      common_note = absl::StrFormat("RLIMIT_NOFILE allows %d descriptors; %d idle clients need %d", max_fds, max_idle,
                                    max_idle + 1024);
    }
    char dir_template[] = "/tmp/lio-bench-http-XXXXXX";
    if (common_note.empty() && mkdtemp(dir_template) == nullptr) common_note = "mkdtemp failed";
    const std::filesystem::path dir = dir_template;
    if (common_note.empty()) common_note = WriteFiles(dir, sizes);

    const int server_cpu = AllowedCpu(0), client_cpu = AllowedCpu(1);
    std::vector<Server> servers;
    for (const char* who : kServers) {
      bool any = false;
      for (const Config& c : configs) any = any || wanted(who, c);
      if (!any) continue;
      Server server;
      server.name = who;
      if (!common_note.empty()) {
        server.note = common_note;
      } else if (server.name == "nginx") {
        StartNginx(server, dir, max_fds, max_idle + 1024, server_cpu);
      } else {
        StartLio(server, HttpServerBinary(), dir, server_cpu);
      }
      if (server.note.empty()) CheckServes(server, dir, sizes);
      if (server.note.empty()) nice_ = Announce(server, s);
      servers.push_back(std::move(server));
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

  static std::string NginxVersion() {
    std::string nginx = FindProgram("nginx");
    if (nginx.empty()) return "(not installed)";
    std::string v = RunCommand("'" + nginx + "' -v 2>&1");
    size_t slash = v.find('/');
    return slash == std::string::npos ? "" : v.substr(slash + 1, v.find_first_of("\r\n") - slash - 1);
  }
};

LIO_BENCH_REGISTER_WORKLOAD(HttpNginxWorkload)

}  // namespace
}  // namespace lio::bench
