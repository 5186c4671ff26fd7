#include "bench/harness.h"

#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"

extern char** environ;

namespace lio::bench {

// ---- Targets ----

std::string Target::ToString() const {
  switch (kind) {
    case Kind::kNone: return "reported";
    case Kind::kAtLeast: return absl::StrFormat(">= %.2f", value);
    case Kind::kAtMost: return absl::StrFormat("<= %.2f", value);
    case Kind::kEqual: return absl::StrFormat("= %g", value);
  }
  return "";
}

bool Target::Met(double x) const {
  switch (kind) {
    case Kind::kNone: return true;
    case Kind::kAtLeast: return x >= value;
    case Kind::kAtMost: return x <= value;
    case Kind::kEqual: return std::fabs(x - value) < 1e-9;
  }
  return false;
}

std::optional<double> Measurement::Median() const {
  if (samples.empty()) return std::nullopt;
  std::vector<double> v = samples;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// ---- Registration ----

namespace {
std::vector<std::unique_ptr<Workload>>& WorkloadList() {
  static auto* list = new std::vector<std::unique_ptr<Workload>>;
  return *list;
}
std::map<std::string, ChildMain>& ChildMap() {
  static auto* map = new std::map<std::string, ChildMain>;
  return *map;
}
}  // namespace

void RegisterWorkload(std::unique_ptr<Workload> w) { WorkloadList().push_back(std::move(w)); }

std::vector<Workload*> Workloads() {
  std::vector<Workload*> out;
  for (auto& w : WorkloadList()) out.push_back(w.get());
  std::sort(out.begin(), out.end(), [](Workload* a, Workload* b) { return a->order() < b->order(); });
  return out;
}

void RegisterChild(const std::string& name, ChildMain main) { ChildMap()[name] = std::move(main); }

const ChildMain* FindChild(const std::string& name) {
  auto it = ChildMap().find(name);
  return it == ChildMap().end() ? nullptr : &it->second;
}

std::optional<std::string> RunChild(const std::string& name, const std::vector<std::string>& args,
                                    std::string* error) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    *error = "pipe failed";
    return std::nullopt;
  }
  std::vector<std::string> argv_s = {"lio_bench", "--child=" + name};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  pid_t pid;
  int rc = posix_spawn(&pid, "/proc/self/exe", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (rc != 0) {
    close(out[0]);
    *error = absl::StrFormat("posix_spawn: %s", strerror(rc));
    return std::nullopt;
  }
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = read(out[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) text.append(buf, static_cast<size_t>(n));
  }
  close(out[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    *error = absl::StrFormat("child '%s' failed (status %d): %s", name, status, text);
    return std::nullopt;
  }
  return text;
}

// ---- Measuring ----

void RunInterleaved(const Settings& s, const std::vector<Variant>& variants, Results* out) {
  std::vector<bool> dropped(variants.size(), false);
  for (int round = 0; round < s.repetitions; ++round) {
    for (size_t k = 0; k < variants.size(); ++k) {
      size_t i = (k + static_cast<size_t>(round)) % variants.size();
      if (dropped[i]) continue;
      const Variant& v = variants[i];
      std::string note;
      std::optional<double> x = v.run(&note);
      Measurement& m = (*out)[v.key];
      if (!x) {
        m.note = note.empty() ? "failed" : note;
        m.samples.clear();
        dropped[i] = true;
        if (s.verbose) absl::FPrintF(stderr, "  %-40s unavailable: %s\n", v.key, m.note);
        continue;
      }
      m.samples.push_back(*x);
      if (s.verbose) absl::FPrintF(stderr, "  %-40s round %d: %.4g\n", v.key, round + 1, *x);
    }
  }
}

// ---- Machine ----

std::string RunCommand(const std::string& command, int* status) {
  std::string text;
  FILE* f = popen(command.c_str(), "r");
  if (f == nullptr) {
    if (status) *status = -1;
    return text;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  int rc = pclose(f);
  if (status) *status = rc;
  return text;
}

namespace {
std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  return s.substr(i);
}
}  // namespace

Machine DescribeMachine() {
  Machine m;
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0) {
      m.cpu = Trim(line.substr(line.find(':') + 1));
      break;
    }
  }
  m.cores = CpuCount();
  utsname u{};
  if (uname(&u) == 0) m.kernel = absl::StrFormat("%s %s", u.sysname, u.release);
  // liburing 2.3 has no version macro or function; the archive linked in is
  // Debian's liburing-dev.
  m.liburing = Trim(RunCommand("dpkg-query -W -f='${Version}' liburing-dev 2>/dev/null"));
  if (m.liburing.empty()) m.liburing = "unknown";
  m.libuv = uv_version_string();
  m.fio = Trim(RunCommand("fio --version 2>/dev/null"));
  std::ifstream loadavg("/proc/loadavg");
  loadavg >> m.load;
  if (m.fio.empty()) m.fio = "not installed";
  return m;
}

std::string Machine::ToString() const {
  return absl::StrFormat("%s, %d cores, %s, liburing %s, libuv %s, %s; load average %s at the end", cpu, cores,
                         kernel, liburing, libuv, fio, load);
}

// ---- Rows ----

std::vector<Row> BuildRows(const std::vector<RowSpec>& specs, const Results& results) {
  std::vector<Row> rows;
  for (const RowSpec& spec : specs) {
    Row row;
    row.spec = spec;
    std::vector<std::string> notes;
    auto lio_it = results.find(spec.lio_key);
    if (lio_it != results.end()) {
      row.lio = lio_it->second.Median();
      if (!row.lio && !lio_it->second.note.empty()) notes.push_back(lio_it->second.note);
    } else {
      notes.push_back("not measured");
    }
    if (!spec.ref_key.empty()) {
      auto ref_it = results.find(spec.ref_key);
      if (ref_it != results.end()) {
        row.reference = ref_it->second.Median();
        if (!row.reference && !ref_it->second.note.empty() &&
            std::find(notes.begin(), notes.end(), ref_it->second.note) == notes.end()) {
          notes.push_back(ref_it->second.note);
        }
      } else {
        notes.push_back("reference not measured");
      }
      if (row.lio && row.reference && *row.reference != 0) row.ratio = *row.lio / *row.reference;
      if (row.ratio && spec.target.kind != Target::Kind::kNone) row.met = spec.target.Met(*row.ratio);
    } else if (row.lio && spec.target.kind != Target::Kind::kNone) {
      row.met = spec.target.Met(*row.lio);
    }
    if (spec.target.kind != Target::Kind::kNone && !row.met) row.met = false;  // no figure: not met
    row.note = absl::StrJoin(notes, "; ");
    rows.push_back(std::move(row));
  }
  return rows;
}

namespace {

std::string Figure(const std::optional<double>& x, int decimals, const std::string& unit) {
  if (!x) return "n/a";
  return absl::StrFormat("%.*f %s", decimals, *x, unit);
}

std::string MetText(const Row& r) {
  if (r.spec.target.kind == Target::Kind::kNone) return "-";
  if (!r.lio || (!r.spec.ref_key.empty() && !r.reference)) return "n/a";
  if (!r.met) return "-";
  return *r.met ? "yes" : "NO";
}

std::string JsonEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string JsonNumber(const std::optional<double>& x) {
  if (!x || !std::isfinite(*x)) return "null";
  return absl::StrFormat("%.6g", *x);
}

}  // namespace

void PrintTable(const std::vector<Row>& rows, const Machine& m, const Settings& s,
                const std::vector<std::string>& methods) {
  struct Cells {
    std::string workload, lio_row, params, lio, reference, ratio, target, met;
  };
  std::vector<Cells> cells;
  cells.push_back({"workload", "lio row", "params", "lio", "reference", "ratio", "target", "met?"});
  for (const Row& r : rows) {
    Cells c;
    c.workload = r.spec.workload;
    c.lio_row = r.spec.lio_row;
    c.params = r.spec.params;
    c.lio = Figure(r.lio, r.spec.decimals, r.spec.unit);
    c.reference = r.spec.ref_key.empty()
                      ? "-"
                      : absl::StrFormat("%s (%s)", Figure(r.reference, r.spec.decimals, r.spec.unit),
                                        r.spec.ref_name);
    c.ratio = r.ratio ? absl::StrFormat("%.3f", *r.ratio) : "-";
    c.target = r.spec.target.ToString();
    c.met = MetText(r);
    cells.push_back(c);
  }
  size_t w[8] = {};
  for (const Cells& c : cells) {
    const std::string* f[8] = {&c.workload, &c.lio_row, &c.params, &c.lio, &c.reference, &c.ratio, &c.target, &c.met};
    for (int i = 0; i < 8; ++i) w[i] = std::max(w[i], f[i]->size());
  }
  std::printf("lio bench (%s): medians of %d interleaved repetitions, %.2g s each\n",
              s.quick ? "--quick" : "full", s.repetitions, s.seconds);
  std::printf("machine: %s\n\n", m.ToString().c_str());
  for (size_t i = 0; i < cells.size(); ++i) {
    const Cells& c = cells[i];
    std::printf("%-*s  %-*s  %-*s  %*s  %-*s  %*s  %-*s  %s\n", static_cast<int>(w[0]), c.workload.c_str(),
                static_cast<int>(w[1]), c.lio_row.c_str(), static_cast<int>(w[2]), c.params.c_str(),
                static_cast<int>(w[3]), c.lio.c_str(), static_cast<int>(w[4]), c.reference.c_str(),
                static_cast<int>(w[5]), c.ratio.c_str(), static_cast<int>(w[6]), c.target.c_str(),
                c.met.c_str());
    if (i == 0) {
      size_t total = 0;
      for (size_t x : w) total += x + 2;
      std::printf("%s\n", std::string(total + 2, '-').c_str());
    }
  }
  int missed = 0, met = 0, unavailable = 0;
  for (const Row& r : rows) {
    if (r.spec.target.kind == Target::Kind::kNone) continue;
    if (!r.lio || (!r.spec.ref_key.empty() && !r.reference)) {
      ++unavailable;
    } else if (r.met && *r.met) {
      ++met;
    } else {
      ++missed;
    }
  }
  std::printf("\n%zu rows; targets: %d met, %d missed, %d without a figure\n", rows.size(), met, missed,
              unavailable);
  // Each distinct note once, with the rows it explains.
  std::vector<std::pair<std::string, std::vector<std::string>>> notes;
  for (const Row& r : rows) {
    if (r.note.empty()) continue;
    std::string label = absl::StrFormat("%s/%s/%s", r.spec.workload, r.spec.lio_row, r.spec.params);
    auto it = std::find_if(notes.begin(), notes.end(), [&](const auto& n) { return n.first == r.note; });
    if (it == notes.end()) {
      notes.push_back({r.note, {label}});
    } else {
      it->second.push_back(label);
    }
  }
  if (!notes.empty()) std::printf("\nnotes (rows without a figure):\n");
  for (const auto& [note, labels] : notes) {
    std::printf("  - %s\n    rows: %s\n", note.c_str(), absl::StrJoin(labels, "; ").c_str());
  }
  if (!methods.empty()) {
    std::printf("\nmethod:\n");
    for (const std::string& line : methods) std::printf("  %s\n", line.c_str());
  }
  std::fflush(stdout);
}

bool WriteJson(const std::string& path, const std::vector<Row>& rows, const Machine& m, const Settings& s,
               std::string* error) {
  std::ofstream f(path);
  if (!f) {
    *error = "cannot write " + path;
    return false;
  }
  f << "{\n  \"machine\": {\"cpu\": \"" << JsonEscape(m.cpu) << "\", \"cores\": " << m.cores
    << ", \"kernel\": \"" << JsonEscape(m.kernel) << "\", \"liburing\": \"" << JsonEscape(m.liburing)
    << "\", \"libuv\": \"" << JsonEscape(m.libuv) << "\", \"fio\": \"" << JsonEscape(m.fio) << "\", \"load_average\": \"" << JsonEscape(m.load) << "\"},\n";
  f << "  \"settings\": {\"quick\": " << (s.quick ? "true" : "false") << ", \"repetitions\": " << s.repetitions
    << ", \"seconds\": " << s.seconds << "},\n";
  f << "  \"rows\": [\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    f << "    {\"workload\": \"" << JsonEscape(r.spec.workload) << "\", \"lio_row\": \""
      << JsonEscape(r.spec.lio_row) << "\", \"params\": \"" << JsonEscape(r.spec.params) << "\", \"unit\": \""
      << JsonEscape(r.spec.unit) << "\", \"lio\": " << JsonNumber(r.lio)
      << ", \"reference\": " << JsonNumber(r.reference) << ", \"reference_name\": \""
      << JsonEscape(r.spec.ref_name) << "\", \"ratio\": " << JsonNumber(r.ratio) << ", \"target\": \""
      << JsonEscape(r.spec.target.ToString()) << "\", \"met\": "
      << (r.met ? (*r.met ? "true" : "false") : "null") << ", \"note\": \"" << JsonEscape(r.note) << "\"}"
      << (i + 1 < rows.size() ? "," : "") << "\n";
  }
  f << "  ]\n}\n";
  if (!f.good()) {
    *error = "error writing " + path;
    return false;
  }
  return true;
}

bool WritePlot(const std::string& path, const std::vector<Row>& rows, const Machine& m, std::string* error) {
  // One bar per row with a ratio, green when it meets its target, red when it
  // misses, grey when there is none (reported); the target as a point above
  // it. Bars past the top of the axis are clipped and labelled with their value.
  constexpr double kTop = 2.5;
  char dir_template[] = "/tmp/lio-bench-plot-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) {
    *error = "mkdtemp failed";
    return false;
  }
  std::string dir = dir_template;
  std::string data_path = dir + "/rows.dat";
  std::string script_path = dir + "/plot.gp";
  std::ofstream data(data_path);
  int n = 0;
  for (const Row& r : rows) {
    if (!r.ratio) continue;
    std::string label = absl::StrFormat("%s %s %s", r.spec.workload, r.spec.lio_row, r.spec.params);
    for (char& c : label) {
      if (c == '"') c = '\'';
    }
    std::string target = r.spec.target.kind == Target::Kind::kNone ? "NaN" : absl::StrFormat("%g", r.spec.target.value);
    int color = r.spec.target.kind == Target::Kind::kNone ? 3 : (r.met && *r.met ? 1 : 2);
    data << n << " " << *r.ratio << " " << target << " \"" << label << "\" " << color << "\n";
    ++n;
  }
  data.close();
  if (n == 0) {
    *error = "no row has a ratio to plot";
    return false;
  }
  std::ofstream gp(script_path);
  gp << "set terminal pngcairo size " << std::max(1000, 24 * n + 200) << ",800 noenhanced font 'sans,9'\n"
     << "set output '" << path << "'\n"
     << "set title \"lio / reference (throughput: higher is better; costs: lower)\\n" << m.ToString() << "\"\n"
     << "set style fill solid 0.7\n"
     << "set boxwidth 0.7\n"
     << "set grid ytics\n"
     << "set ylabel 'ratio'\n"
     << "set yrange [0:" << kTop << "]\n"
     << "set xrange [-1:" << n << "]\n"
     << "set xtics rotate by 60 right\n"
     << "set bmargin 24\n"
     << "set key outside top center horizontal\n"
     << "set linetype 1 lc rgb '#2e8b57'\n"
     << "set linetype 2 lc rgb '#cd3333'\n"
     << "set linetype 3 lc rgb '#999999'\n"
     << "plot '" << data_path << "' using 1:($2 > " << kTop << " ? " << kTop << " : $2):5:xtic(4) with boxes lc variable "
     << "title 'lio / reference (green met, red missed, grey reported)', \\\n"
     << "     '' using 1:3 with points pt 9 ps 1.3 lc rgb 'black' title 'target', \\\n"
     << "     '' using 1:($2 > " << kTop << " ? " << kTop - 0.15 << " : 1/0):(sprintf('%.1f', $2)) with labels notitle, \\\n"
     << "     1 with lines lc rgb 'gray' dt 2 notitle\n";
  gp.close();
  int status = 0;
  std::string out = RunCommand("gnuplot '" + script_path + "' 2>&1", &status);
  RunCommand("rm -rf '" + dir + "'");
  if (status != 0) {
    *error = "gnuplot failed: " + out;
    return false;
  }
  return true;
}

// ---- Helpers ----

double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double ProcessCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
}

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

int CpuCount() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
  return static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
}

void PinThisThreadToCpu(int cpu) {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0 || CPU_COUNT(&allowed) < 2) return;
  // The cpu-th allowed CPU.
  int seen = 0;
  for (int i = 0; i < CPU_SETSIZE; ++i) {
    if (!CPU_ISSET(i, &allowed)) continue;
    if (seen++ == cpu % CPU_COUNT(&allowed)) {
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(i, &one);
      sched_setaffinity(0, sizeof one, &one);
      return;
    }
  }
}

}  // namespace lio::bench
