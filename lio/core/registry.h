// lio::Registry — loads backend plugins and finds backends by name.
//
// Search order for a name: backends already registered, then plugin files
// in $LIO_PLUGIN_PATH (':'-separated; ';' on Windows), then the directory
// lio was installed with (LIO_INSTALL_PLUGIN_DIR). Never the current
// directory, implicitly or not: a relative LIO_PLUGIN_PATH entry is refused
// (left out, with an error LoadAll returns), since it would name whatever
// directory the program happens to start in, and whoever chose that could
// slip a plugin in. A name "x" or "x:anything" lives in liblio_x.so
// (liblio_x.dylib, lio_x.dll); if no such file exists every plugin found is
// loaded and the name looked up again.
//
// Not thread-safe: load plugins at start-up, from one thread. Plugins stay
// loaded until the registry is destroyed (the default one: never).
#ifndef LIO_CORE_REGISTRY_H_
#define LIO_CORE_REGISTRY_H_

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lio/core/backend.h"
#include "lio/core/error.h"
#include "lio/core/expected.h"

namespace lio {

class Registry {
 public:
  // `search_dirs` replaces the default search path (for tests); the default
  // registry uses DefaultSearchDirs().
  explicit Registry(std::vector<std::filesystem::path> search_dirs);
  Registry();  // DefaultSearchDirs()
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // The process-wide registry used by Backend::Open.
  static Registry& Default();

  // $LIO_PLUGIN_PATH's absolute entries, then the install directory. Empty
  // entries are skipped; each relative one is left out and, if `refused` is
  // given, reported there as an Error naming it and what to write instead.
  static std::vector<std::filesystem::path> DefaultSearchDirs(std::vector<Error>* refused = nullptr);

  // "liblio_io_uring.so" for "io_uring" on this OS.
  static std::string PluginFileName(std::string_view plugin_name);

  // Load one plugin file by path and register its backends. Loading the same
  // file twice is a no-op. The file is vetted before the OS loader sees it
  // (plugin_file.h). Errors say what is wrong and what to do: no such file,
  // not a regular file, writable by others, not a complete shared library
  // for this machine, no lio_plugin_register, another ABI major,
  // registration failed, a backend name already registered.
  Expected<std::vector<std::string>, Error> LoadPlugin(const std::filesystem::path& path);

  // Load every plugin file in the search directories. Returns one Error per
  // file that failed (the others are loaded), after one per LIO_PLUGIN_PATH
  // entry the default registry refused.
  std::vector<Error> LoadAll();

  // A registered backend by exact name, loading its plugin if needed.
  Expected<const BackendInfo*, Error> Find(std::string_view name);

  // "auto": the highest-priority backend whose probe passes (after LoadAll).
  // "" means $LIO_BACKEND if set, else "auto".
  Expected<const BackendInfo*, Error> Resolve(std::string_view name);

  // Resolve, probe, create.
  Expected<Backend, Error> Open(std::string_view name, const BackendOptions& options = {});

  // Every backend registered so far, in registration order.
  std::vector<const BackendInfo*> backends() const;
  const std::vector<std::filesystem::path>& search_dirs() const noexcept { return search_dirs_; }

 private:
  struct Plugin;
  std::vector<std::filesystem::path> search_dirs_;
  std::vector<std::unique_ptr<Plugin>> plugins_;
  std::vector<std::unique_ptr<BackendInfo>> backends_;
  std::vector<std::string> load_failures_;  // remembered for "unknown name" messages
  std::vector<Error> refused_dirs_;         // relative LIO_PLUGIN_PATH entries (default search dirs only)
  // Plugins whose lio_plugin_register is running: a plugin that looks up
  // another backend while registering must not load itself again.
  std::vector<std::filesystem::path> registering_;
  lio_host host_;
  friend struct RegistryAccess;
};

}  // namespace lio

#endif  // LIO_CORE_REGISTRY_H_
