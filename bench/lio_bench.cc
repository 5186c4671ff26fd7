// lio_bench: every benchmark workload linked into this binary, each lio row
// beside its reference in the same run, printed as one table of ratios
// (lio ÷ reference) with the machine it ran on. `tools/lio bench ARGS` builds
// it optimized and runs it with the built plugins on LIO_PLUGIN_PATH.
//
//   lio_bench [--quick] [--filter REGEX] [--json FILE] [--plot FILE.png]
//             [--repetitions N] [--seconds S] [--file_dir DIR] [--verbose] [--list]
//             [--list_variants] [--variants REGEX] [--nginx]
//
// The same main, linked with one workload, is that workload's standalone
// program (bazel-bin/bench/tcp_echo, .../million_timers, ...).
#include <signal.h>
#include <stdlib.h>

#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_format.h"
#include "bench/harness.h"

ABSL_FLAG(bool, quick, false, "short run: fewer repetitions, shorter loops, smaller file (for tools/test)");
ABSL_FLAG(std::string, json, "", "also write the rows as JSON to this file");
ABSL_FLAG(std::string, plot, "", "also draw the ratios to this PNG with gnuplot");
ABSL_FLAG(std::string, filter, "", "only rows whose 'workload lio-row params' matches this regex (ECMAScript, searched)");
ABSL_FLAG(int, repetitions, 0, "repetitions per variant (default 5, --quick 3)");
ABSL_FLAG(double, seconds, 0, "measured seconds per repetition of a timed loop (default 1, --quick 0.25)");
ABSL_FLAG(std::string, file_dir, "/var/tmp", "directory for file_read's test file (kept between runs; O_DIRECT must work there)");
ABSL_FLAG(int, poller_workers, 4, "poller worker threads; also libuv's UV_THREADPOOL_SIZE and fio psync's numjobs");
ABSL_FLAG(bool, nginx, false,
          "run the HTTP example under wrk against nginx and against minimal C responders (raw epoll, libuv) (the "
          "'http' rows; opt-in: needs nginx-light and wrk, about 4 minutes) instead of the other workloads");
ABSL_FLAG(bool, verbose, false, "print every sample on stderr as it is taken");
ABSL_FLAG(bool, list, false, "list the rows (after --filter) and exit");
ABSL_FLAG(bool, list_variants, false, "list what is measured for the rows (after --filter): lio variants and references");
ABSL_FLAG(std::string, variants, "",
          "measure only the variants (see --list_variants) matching this regex, e.g. 'libuv' to run one reference by hand");
ABSL_FLAG(std::string, child, "", "internal: run a workload's sub-program in this fresh process");

namespace {

constexpr char kUsage[] =
    "lio_bench [--quick] [--filter REGEX] [--json FILE] [--plot FILE.png] [--repetitions N] [--seconds S] "
    "[--file_dir DIR] [--verbose] [--list] [--list_variants] [--variants REGEX] [--nginx]";

std::string RowText(const lio::bench::RowSpec& r) {
  return absl::StrFormat("%s %s %s", r.workload, r.lio_row, r.params);
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  signal(SIGPIPE, SIG_IGN);

  lio::bench::Settings s;
  s.quick = absl::GetFlag(FLAGS_quick);
  s.repetitions = s.quick ? 3 : 5;
  s.seconds = s.quick ? 0.25 : 1.0;
  s.warmup_seconds = s.quick ? 0.05 : 0.2;
  s.file_bytes = s.quick ? (64ull << 20) : (256ull << 20);
  if (int r = absl::GetFlag(FLAGS_repetitions); r > 0) s.repetitions = r;
  if (double t = absl::GetFlag(FLAGS_seconds); t > 0) s.seconds = t;
  s.file_dir = absl::GetFlag(FLAGS_file_dir);
  s.poller_workers = absl::GetFlag(FLAGS_poller_workers);
  s.verbose = absl::GetFlag(FLAGS_verbose);
  s.nginx = absl::GetFlag(FLAGS_nginx);
  // libuv reads this once, when its threadpool first starts.
  setenv("UV_THREADPOOL_SIZE", absl::StrFormat("%d", s.poller_workers).c_str(), 1);

  if (std::string child = absl::GetFlag(FLAGS_child); !child.empty()) {
    const lio::bench::ChildMain* main_fn = lio::bench::FindChild(child);
    if (main_fn == nullptr) {
      absl::FPrintF(stderr, "lio_bench: no child program '%s'\n", child);
      return 2;
    }
    return (*main_fn)(std::vector<std::string>(positional.begin() + 1, positional.end()));
  }
  if (positional.size() > 1) {
    absl::FPrintF(stderr, "lio_bench takes no positional arguments ('%s')\nusage: %s\n", positional[1], kUsage);
    return 2;
  }

  std::regex filter, variants;
  const std::string filter_text = absl::GetFlag(FLAGS_filter);
  const std::string variants_text = absl::GetFlag(FLAGS_variants);
  try {
    filter = std::regex(filter_text.empty() ? "." : filter_text);
    variants = std::regex(variants_text.empty() ? "." : variants_text);
  } catch (const std::regex_error& e) {
    absl::FPrintF(stderr, "lio_bench: bad --filter or --variants regex: %s\n", e.what());
    return 2;
  }
  const bool list = absl::GetFlag(FLAGS_list) || absl::GetFlag(FLAGS_list_variants);

  std::vector<lio::bench::Row> rows;
  std::vector<std::string> methods;
  lio::bench::Results results;
  // A program of opt-in workloads alone (bazel-bin/bench/http_nginx) runs them without --nginx.
  bool links_regular = false;
  for (lio::bench::Workload* w : lio::bench::Workloads()) links_regular = links_regular || !w->opt_in();
  if (!links_regular) s.nginx = true;
  for (lio::bench::Workload* w : lio::bench::Workloads()) {
    if (w->opt_in() != s.nginx) continue;
    std::vector<lio::bench::RowSpec> selected;
    for (const lio::bench::RowSpec& r : w->rows(s)) {
      if (std::regex_search(RowText(r), filter)) selected.push_back(r);
    }
    if (selected.empty()) continue;
    std::set<std::string> needed;
    for (const auto& r : selected) {
      for (const std::string& key : {r.lio_key, r.ref_key}) {
        if (!key.empty() && std::regex_search(key, variants)) needed.insert(key);
      }
    }
    if (needed.empty()) continue;  // --variants left nothing of this workload
    if (list) {
      if (absl::GetFlag(FLAGS_list)) {
        for (const auto& r : selected) absl::PrintF("%s\n", RowText(r));
      } else {
        for (const auto& key : needed) absl::PrintF("%s\n", key);
      }
      continue;
    }
    absl::FPrintF(stderr, "lio_bench: %s (%d rows) ...\n", w->name(), selected.size());
    double t0 = lio::bench::NowSeconds();
    w->Run(s, needed, &results);
    absl::FPrintF(stderr, "lio_bench: %s done in %.1f s\n", w->name(), lio::bench::NowSeconds() - t0);
    std::vector<lio::bench::Row> built = lio::bench::BuildRows(selected, results);
    rows.insert(rows.end(), built.begin(), built.end());
    methods.push_back(w->method(s));
  }
  if (list) return 0;
  if (rows.empty()) {
    absl::FPrintF(stderr, "lio_bench: no row matches --filter '%s' (see --list)\n", filter_text);
    return 2;
  }

  lio::bench::Machine machine = lio::bench::DescribeMachine();
  lio::bench::PrintTable(rows, machine, s, methods);

  int rc = 0;
  std::string error;
  if (std::string path = absl::GetFlag(FLAGS_json); !path.empty()) {
    if (lio::bench::WriteJson(path, rows, machine, s, &error)) {
      absl::PrintF("\nJSON: %s\n", path);
    } else {
      absl::FPrintF(stderr, "lio_bench: --json: %s\n", error);
      rc = 1;
    }
  }
  if (std::string path = absl::GetFlag(FLAGS_plot); !path.empty()) {
    if (lio::bench::WritePlot(path, rows, machine, &error)) {
      absl::PrintF("plot: %s\n", path);
    } else {
      absl::FPrintF(stderr, "lio_bench: --plot: %s\n", error);
      rc = 1;
    }
  }
  return rc;
}
