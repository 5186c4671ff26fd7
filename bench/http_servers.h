// What the opt-in HTTP workloads share (http_nginx.cc: lio's HTTP example
// against nginx; http_ref.cc: the example against minimal C responders):
// servers as processes of their own pinned to one CPU, the files they serve,
// a check that they serve them, and one wrk run against a server with what it
// cost that server.
#ifndef LIO_BENCH_HTTP_SERVERS_H_
#define LIO_BENCH_HTTP_SERVERS_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bench/harness.h"

namespace lio::bench::http {

// One wrk configuration: the file fetched, wrk's connections, and
// connections opened and held beside wrk's.
struct Config {
  size_t file_bytes;
  int conns;
  int idle;
};

// "f64.bin": the file of that size under <dir>/www.
std::string FileName(size_t bytes);

// The `k`-th CPU this process may run on, or -1 when it may run on fewer than
// two (then nothing is pinned).
int AllowedCpu(int k);

// `name` as given when it has a slash, else found on PATH (and in /usr/sbin,
// where Debian puts nginx). "" when not found.
std::string FindProgram(const std::string& name);

// A started program: its pid and, when asked for, the read end of its stdout.
struct Process {
  pid_t pid = -1;
  int out = -1;
};

// Servers and wrk run at this nice value when this process may raise
// priority (root): the machines are shared, and at nice 0 a busy neighbour's
// compile jobs decide how much of its CPU each side gets (the figures then
// measure the scheduler); at -20 both sides get nearly all of theirs, alike.
constexpr int kNice = -20;

// Starts `argv` (argv[0] a path) pinned to CPU `cpu` (-1: not pinned), at
// nice kNice when permitted, with stdout into a pipe (`capture`) or into
// `log`, stderr into `log` ("": /dev/null). The child gets SIGTERM if this
// process dies first.
std::optional<Process> Spawn(const std::vector<std::string>& argv, int cpu, bool capture, const std::string& log,
                             std::string* note);
bool Alive(pid_t pid);
// SIGTERM, then SIGKILL after two seconds; reaps it.
void Stop(Process& p);

// A port nobody listens on now (bound to 0 and released).
uint16_t FreePort();

// A server under test: a process listening on 127.0.0.1:port.
struct Server {
  std::string name;
  Process process;
  uint16_t port = 0;
  std::string note;  // why it cannot run
};

// Waits until 127.0.0.1:port accepts a connection (and the process lives).
bool WaitListening(const Process& p, uint16_t port, std::string* note);
// Starts a server that prints "listening on 127.0.0.1:PORT" as its first
// line (stderr into `log`); sets server.port, or server.note.
void StartListening(Server& server, const std::vector<std::string>& argv, const std::string& log, int cpu);
// The HTTP example serving <dir>/www on backend server.name (on io_uring
// with open_async=0, as a static-file server should run there).
void StartLio(Server& server, const std::string& binary, const std::filesystem::path& dir, int cpu);
// The example built beside this program (bazel-bin/bench/lio_bench →
// bazel-bin/examples/http_server/http_server), unless $LIO_BENCH_HTTP_SERVER
// names another.
std::string HttpServerBinary();

// GET /name with Connection: close; the body if the status is 200.
std::optional<std::string> Get(uint16_t port, const std::string& name, std::string* note);
// GET /name as wrk asks (keep-alive): the whole response, head and body.
std::optional<std::string> GetWhole(uint16_t port, const std::string& name, std::string* note);
// Every file, fetched once, must be byte-identical to what is on disk.
void CheckServes(Server& server, const std::filesystem::path& dir, const std::vector<size_t>& sizes);

// Raises the soft RLIMIT_NOFILE to the hard one (the idle clients are
// descriptors of this process); returns the limit now.
long RaiseFileLimit();
// <dir>/www/f<N>.bin for each size, readable by nginx's unprivileged worker.
// Returns "" or why not.
std::string WriteFiles(const std::filesystem::path& dir, const std::vector<size_t>& sizes);

// What one wrk run measured.
struct Sample {
  double rate = 0;           // requests/s, as wrk reports
  double server_cpu_us = 0;  // server CPU per request
  // (CPU time + time runnable but waiting for the CPU) / wall time, %: how
  // much of the run that side wanted its CPU. Near 100%: it limits the row,
  // even on a shared machine where it got only part of that CPU.
  double server_demand = 0;
  double wrk_demand = 0;
};

// One `wrk -t1 -c<conns> -d<seconds>s` run on CPU `client_cpu` against
// GET /FileName(file_bytes), beside c.idle idle connections; nullopt (and
// *note) on any error wrk counts.
std::optional<Sample> RunOnce(const Server& server, const Config& c, const std::string& wrk, int wrk_seconds,
                              int client_cpu, std::string* note);

// ---- Measuring a set of servers (both workloads' Run) ----

// The keys of one server's rows in one configuration: its rate, and the
// figures the same wrk run gives beside it (server CPU, server and wrk CPU
// demand), named from the rate's key.
struct RowKeys {
  std::string rate;
  std::string cpu;
  std::string demand;
  std::string wrk_demand;
};
RowKeys RowKeysOf(const std::string& rate_key);

// wrk takes whole seconds: --seconds rounded up (1 for the full run and --quick).
int WrkSeconds(const Settings& s);

// For a server that started: the nice value servers run at, for the method
// line ("-20", or "0 (not permitted to raise it)"), and with --verbose where
// it listens.
std::string Announce(const Server& server, const Settings& s);

// Each configuration in turn: one wrk run per server that has rows in it
// (`keys` answers nullopt when it has none), interleaved over the
// repetitions (one with --quick: tools/test reads no figure); a server that
// could not start has its note on its rows.
void MeasureServers(const std::vector<Server>& servers, const std::vector<Config>& configs,
                    const std::function<std::optional<RowKeys>(const std::string& server, const Config&)>& keys,
                    const Settings& s, const std::string& wrk, int client_cpu, Results* out);

// Stops every server and removes `dir` when mkdtemp made it.
void StopAndRemove(std::vector<Server>& servers, const char* dir_template);

}  // namespace lio::bench::http

#endif  // LIO_BENCH_HTTP_SERVERS_H_
