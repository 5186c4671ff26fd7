// plugin_load: the one-off cost of a backend, in a fresh process each time
// (`lio_bench --child=plugin_load NAME`): load = lio::Registry finding and
// loading liblio_NAME.so from LIO_PLUGIN_PATH (dlopen with RTLD_NOW, then
// lio_plugin_register); init = lio::Backend::Create with capacity 256 (the
// plugin's create: ring setup, worker pool, op table). Milliseconds; reported.
#include <cstdio>
#include <string>

#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "bench/harness.h"
#include "lio/core/registry.h"

namespace lio::bench {
namespace {

const char* const kBackends[] = {"io_uring", "poller"};
constexpr uint32_t kCapacity = 256;

std::string Key(const std::string& backend, const std::string& what) {
  return absl::StrFormat("plugin_load %s %s", backend, what);
}

// In the child: "<load ms> <init ms>" on stdout.
int ChildMain(const std::vector<std::string>& args) {
  if (args.size() != 1) return 2;
  const double t0 = NowSeconds();
  lio::Registry registry;
  auto info = registry.Find(args[0]);
  const double t1 = NowSeconds();
  if (!info) {
    std::printf("%s\n", info.error().message.c_str());
    return 1;
  }
  lio::BackendOptions options;
  options.capacity = kCapacity;
  auto backend = lio::Backend::Create(**info, options);
  const double t2 = NowSeconds();
  if (!backend) {
    std::printf("%s\n", backend.error().message.c_str());
    return 1;
  }
  std::printf("%.6f %.6f\n", (t1 - t0) * 1e3, (t2 - t1) * 1e3);
  return 0;
}

const bool child_registered = [] {
  RegisterChild("plugin_load", ChildMain);
  return true;
}();

class PluginLoadWorkload : public Workload {
 public:
  int order() const override { return 70; }
  std::string name() const override { return "plugin_load"; }
  std::string method(const Settings&) const override {
    return "plugin_load: fresh process per repetition; load = Registry::Find (dlopen RTLD_NOW + register), init "
           "= Backend::Create, capacity 256";
  }
  std::vector<RowSpec> rows(const Settings&) const override {
    std::vector<RowSpec> rows;
    for (const char* b : kBackends) {
      rows.push_back({"plugin_load", b, "load + init (fresh process)", "ms", Key(b, "total"), "", "", Target::None(), 3});
      rows.push_back({"plugin_load", b, "load: find + dlopen + register", "ms", Key(b, "load"), "", "", Target::None(), 3});
      rows.push_back({"plugin_load", b, "init: create, capacity 256", "ms", Key(b, "init"), "", "", Target::None(), 3});
    }
    return rows;
  }
  void Run(const Settings& s, const std::set<std::string>& needed, Results* out) override {
    for (int r = 0; r < s.repetitions; ++r) {
      for (const char* b : kBackends) {
        if (!needed.count(Key(b, "total")) && !needed.count(Key(b, "load")) && !needed.count(Key(b, "init"))) continue;
        if (r > 0 && (*out)[Key(b, "total")].samples.empty()) continue;  // failed before
        std::string error;
        auto text = RunChild("plugin_load", {b}, &error);
        double load = 0, init = 0;
        if (!text || std::sscanf(text->c_str(), "%lf %lf", &load, &init) != 2) {
          for (const char* w : {"total", "load", "init"}) (*out)[Key(b, w)].note = text ? *text : error;
          continue;
        }
        (*out)[Key(b, "total")].samples.push_back(load + init);
        (*out)[Key(b, "load")].samples.push_back(load);
        (*out)[Key(b, "init")].samples.push_back(init);
      }
    }
  }
};

LIO_BENCH_REGISTER_WORKLOAD(PluginLoadWorkload)

}  // namespace
}  // namespace lio::bench
