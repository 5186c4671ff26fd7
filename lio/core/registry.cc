#include "lio/core/registry.h"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <system_error>
#include <utility>

#include "lio/core/dynamic_library.h"
#include "lio/core/plugin_file.h"

#ifndef LIO_INSTALL_PLUGIN_DIR
#define LIO_INSTALL_PLUGIN_DIR "/usr/local/lib/lio"
#endif

namespace lio {
namespace fs = std::filesystem;

struct Registry::Plugin {
  fs::path path;           // canonical: the identity of the file
  std::string shown_path;  // as the user named it, for messages
  internal::DynamicLibrary library;
};

namespace {

#if defined(_WIN32)
constexpr char kPathSeparator = ';';
constexpr std::string_view kPluginPrefix = "lio_";
constexpr std::string_view kPluginSuffix = ".dll";
#elif defined(__APPLE__)
constexpr char kPathSeparator = ':';
constexpr std::string_view kPluginPrefix = "liblio_";
constexpr std::string_view kPluginSuffix = ".dylib";
#else
constexpr char kPathSeparator = ':';
constexpr std::string_view kPluginPrefix = "liblio_";
constexpr std::string_view kPluginSuffix = ".so";
#endif

std::string VersionText(uint32_t v) {
  return std::to_string(LIO_ABI_MAJOR(v)) + "." + std::to_string(LIO_ABI_MINOR(v));
}

Error MakeError(int negative_code, std::string message) {
  return Error{make_error(negative_code), std::move(message)};
}

// Why a relative LIO_PLUGIN_PATH entry is not searched, and what to write.
Error RelativeEntryError(const fs::path& entry) {
  std::error_code ec;
  fs::path here = fs::absolute(entry, ec).lexically_normal();
  if (!here.has_filename() && here.has_relative_path()) here = here.parent_path();  // "dir/" of "dir/."
  std::string suggestion = ec ? "" : " (from this directory: '" + here.string() + "')";
  return MakeError(-LIO_EINVAL,
                   "LIO_PLUGIN_PATH entry '" + entry.string() +
                       "' is relative and is not searched: it would name whatever directory the program starts "
                       "in, so whoever chose that directory could slip a plugin in. Write the directory as an "
                       "absolute path" + suggestion + ".");
}

std::string JoinPaths(const std::vector<fs::path>& dirs) {
  if (dirs.empty()) return "(no directories: LIO_PLUGIN_PATH is empty)";
  std::string out;
  for (const fs::path& d : dirs) {
    if (!out.empty()) out += ", ";
    out += d.string();
  }
  return out;
}

bool ValidBackendName(const std::string& name) { return lio_backend_name_valid(name.c_str()) != 0; }

bool IsPluginFileName(const std::string& file) {
  return file.size() > kPluginPrefix.size() + kPluginSuffix.size() && file.starts_with(kPluginPrefix) &&
         file.ends_with(kPluginSuffix);
}

// The smallest vtable that carries every call of ABI 1.0.
constexpr size_t kMinVtableSize = offsetof(lio_backend_vtable, wake) + sizeof(void*);

// [register.capabilities]: the op codes the vtable's own minor version
// defines; a 1.0 plugin's stray bits 18 and up are not codes it knows.
uint64_t CapabilitiesOfMinor(uint32_t abi_version) {
  return LIO_ABI_MINOR(abi_version) == 0 ? LIO_CAP_OPS_1_0 : LIO_CAP_ALL_OPS;
}

// The vtable's 1.1 members, NULL / 0 where its struct_size does not reach
// them ([abi.struct_size]). Feature bits this host does not know (a later
// minor's) are dropped.
BackendExtensions ReadExtensions(const lio_backend_vtable* vt) {
  BackendExtensions ext;
  auto reaches = [vt](size_t end) { return vt->struct_size >= end; };
#define LIO_READ_MEMBER(member)                                                       \
  if (reaches(offsetof(lio_backend_vtable, member) + sizeof(vt->member))) ext.member = vt->member
  LIO_READ_MEMBER(features);
  LIO_READ_MEMBER(native_ops);
  LIO_READ_MEMBER(register_files);
  LIO_READ_MEMBER(register_buffers);
  LIO_READ_MEMBER(add_buffer_group);
  LIO_READ_MEMBER(return_buffer);
  LIO_READ_MEMBER(remove_buffer_group);
#undef LIO_READ_MEMBER
  ext.features &= LIO_FEATURE_ALL;
  return ext;
}

// [register.features]: the first declared feature whose calls are missing,
// or nullptr.
const char* FeatureWithoutItsCalls(const BackendExtensions& ext) {
  if ((ext.features & LIO_FEATURE_FIXED_FILES) && ext.register_files == nullptr) return "fixed files (register_files)";
  if ((ext.features & LIO_FEATURE_FIXED_BUFFERS) && ext.register_buffers == nullptr) {
    return "fixed buffers (register_buffers)";
  }
  if ((ext.features & LIO_FEATURE_BUFFER_GROUPS) &&
      (!ext.add_buffer_group || !ext.return_buffer || !ext.remove_buffer_group)) {
    return "buffer groups (add_buffer_group, return_buffer, remove_buffer_group)";
  }
  return nullptr;
}

// What one lio_plugin_register call registers, committed only if it all works.
struct Registration {
  Registry* registry;
  const std::vector<std::unique_ptr<BackendInfo>>* existing;
  fs::path path;
  std::vector<BackendInfo> pending;
  std::optional<Error> error;

  void Fail(Error e) {
    if (!error) error = std::move(e);
  }

  int Register(const lio_backend_vtable* vt) {
    std::string where = "plugin '" + path.string() + "'";
    if (vt == nullptr) {
      Fail(MakeError(-LIO_EINVAL, where + " registered a null backend vtable: the plugin is broken."));
      return -LIO_EINVAL;
    }
    if (LIO_ABI_MAJOR(vt->abi_version) != LIO_ABI_VERSION_MAJOR) {
      Fail(MakeError(-LIO_EINVAL, where + " was built for lio ABI " + VersionText(vt->abi_version) +
                                      ", but this lio speaks ABI " + VersionText(LIO_ABI_VERSION) +
                                      ": rebuild the plugin against lio " + std::to_string(LIO_ABI_VERSION_MAJOR) +
                                      ".x's lio/core/plugin_abi.h."));
      return -LIO_EINVAL;
    }
    if (vt->struct_size < kMinVtableSize) {
      Fail(MakeError(-LIO_EINVAL, where + " registered a vtable of " + std::to_string(vt->struct_size) +
                                      " bytes, smaller than ABI " + VersionText(LIO_ABI_VERSION) +
                                      " requires: the plugin is broken."));
      return -LIO_EINVAL;
    }
    std::string name = vt->name ? vt->name : "";
    if (!ValidBackendName(name)) {
      Fail(MakeError(-LIO_EINVAL, where + " registered a backend with an invalid name '" + name +
                                      "' (1 to 64 of lower-case letters, digits, '_', '-' and ':', beginning with a letter or digit; not 'auto')."));
      return -LIO_EINVAL;
    }
    if (!vt->probe || !vt->create || !vt->destroy || !vt->push || !vt->flush || !vt->wait || !vt->cancel ||
        !vt->wake) {
      Fail(MakeError(-LIO_EINVAL, where + " registered backend '" + name +
                                      "' with a missing function in its vtable: every call is required."));
      return -LIO_EINVAL;
    }
    BackendExtensions ext = ReadExtensions(vt);
    if (const char* feature = FeatureWithoutItsCalls(ext)) {
      Fail(MakeError(-LIO_EINVAL, where + " registered backend '" + name + "' declaring the feature " + feature +
                                      " without its calls in the vtable: the plugin is broken."));
      return -LIO_EINVAL;
    }
    for (const auto& info : *existing) {
      if (info->name == name) {
        Fail(MakeError(-LIO_EEXIST, "backend '" + name + "' in " + where + " is already registered by '" +
                                        info->plugin_path + "': remove one of the two plugins from the search path."));
        return -LIO_EEXIST;
      }
    }
    for (const BackendInfo& info : pending) {
      if (info.name == name) {
        Fail(MakeError(-LIO_EEXIST, where + " registered backend '" + name + "' twice."));
        return -LIO_EEXIST;
      }
    }
    BackendInfo info;
    info.name = std::move(name);
    info.description = vt->description ? vt->description : "";
    info.plugin_path = path.string();
    info.abi_version = vt->abi_version;
    info.capabilities = vt->capabilities & CapabilitiesOfMinor(vt->abi_version);
    info.ext = ext;
    info.priority = vt->priority;
    info.vtable = vt;
    pending.push_back(std::move(info));
    return 0;
  }
};

// What a plugin's registrar points to. A plugin may keep the registrar (or a
// copy of it) and call register_backend after lio_plugin_register returned:
// that call must find a closed registrar, never freed memory. So each lives
// as long as the process (one small entry per plugin load) and refuses every
// call once `open` is cleared.
struct RegistrarContext {
  lio_registrar registrar{};
  std::string plugin_path;
  std::atomic<Registration*> open{nullptr};
};

int RegisterThroughContext(void* context, const lio_backend_vtable* vt) {
  auto* self = static_cast<RegistrarContext*>(context);
  Registration* registration = self->open.load(std::memory_order_acquire);
  if (registration != nullptr) return registration->Register(vt);
  std::fprintf(stderr,
               "lio: plugin '%s' called register_backend after its lio_plugin_register returned; refused with "
               "EINVAL (a plugin registers its backends only from inside lio_plugin_register).\n",
               self->plugin_path.c_str());
  return -LIO_EINVAL;
}

RegistrarContext& NewRegistrarContext(const std::string& plugin_path, const lio_host* host) {
  static std::mutex mutex;
  static auto* contexts = new std::deque<RegistrarContext>();  // never freed, on purpose (above)
  std::lock_guard lock(mutex);
  RegistrarContext& context = contexts->emplace_back();
  context.plugin_path = plugin_path;
  context.registrar.struct_size = sizeof context.registrar;
  context.registrar.abi_version = LIO_ABI_VERSION;
  context.registrar.context = &context;
  context.registrar.register_backend = RegisterThroughContext;
  context.registrar.host = host;
  return context;
}

}  // namespace

Registry::Registry(std::vector<fs::path> search_dirs) : search_dirs_(std::move(search_dirs)) {
  host_ = lio_host{};
  host_.struct_size = sizeof host_;
  host_.abi_version = LIO_ABI_VERSION;
  host_.context = this;
  host_.find_backend = [](void* context, const char* name) -> const lio_backend_vtable* {
    if (name == nullptr) return nullptr;
    auto found = static_cast<Registry*>(context)->Find(name);
    return found ? (*found)->vtable : nullptr;
  };
}

Registry::Registry() : Registry(std::vector<fs::path>{}) { search_dirs_ = DefaultSearchDirs(&refused_dirs_); }

// Backends' vtables live in the plugins: drop them before unloading.
Registry::~Registry() {
  backends_.clear();
  plugins_.clear();
}

Registry& Registry::Default() {
  // Never destroyed: plugins stay loaded until the process exits, so a
  // Backend in a static outlives nothing it depends on.
  static Registry* registry = new Registry();
  return *registry;
}

std::vector<fs::path> Registry::DefaultSearchDirs(std::vector<Error>* refused) {
  std::vector<fs::path> dirs;
  if (const char* env = std::getenv("LIO_PLUGIN_PATH")) {
    std::string_view rest(env);
    while (!rest.empty()) {
      size_t sep = rest.find(kPathSeparator);
      std::string_view entry = rest.substr(0, sep);
      rest = sep == std::string_view::npos ? std::string_view() : rest.substr(sep + 1);
      if (entry.empty()) continue;
      fs::path dir(entry);
      if (dir.is_absolute()) {
        dirs.push_back(std::move(dir));
      } else if (refused != nullptr) {
        refused->push_back(RelativeEntryError(dir));
      }
    }
  }
  dirs.emplace_back(LIO_INSTALL_PLUGIN_DIR);
  return dirs;
}

std::string Registry::PluginFileName(std::string_view plugin_name) {
  return std::string(kPluginPrefix) + std::string(plugin_name) + std::string(kPluginSuffix);
}

Expected<std::vector<std::string>, Error> Registry::LoadPlugin(const fs::path& path) {
  // Opened once and vetted (kind, owner, permissions, a complete image for
  // this machine) before the OS loader sees it: plugin_file.h.
  auto file = internal::PluginFile::Open(path);
  if (!file) return Unexpected{std::move(file).error()};
  // Identity by the resolved path; shown as the user gave it.
  fs::path canonical = file->resolved();
  std::string shown = fs::absolute(path).lexically_normal().string();
  for (const auto& plugin : plugins_) {
    if (plugin->path != canonical) continue;
    std::vector<std::string> names;
    for (const auto& info : backends_) {
      if (info->plugin_path == plugin->shown_path) names.push_back(info->name);
    }
    return names;
  }

  if (std::find(registering_.begin(), registering_.end(), canonical) != registering_.end()) {
    return Unexpected{MakeError(-LIO_EBUSY, "plugin '" + shown +
                                                "' is still registering (it asked for a backend while "
                                                "registering, which led back to itself).")};
  }

  std::string loader_error;
  internal::DynamicLibrary library = internal::DynamicLibrary::Open(std::move(*file), &loader_error);
  if (!library.is_open()) {
    return Unexpected{MakeError(-LIO_EINVAL, "'" + path.string() + "' could not be loaded as a shared library (" +
                                                 loader_error + "). A lio plugin is a shared library (" +
                                                 PluginFileName("NAME") +
                                                 ") built for this OS and CPU against lio/core/plugin_abi.h.")};
  }
  auto entry = reinterpret_cast<lio_plugin_register_fn>(library.Symbol(LIO_PLUGIN_REGISTER_SYMBOL));
  if (entry == nullptr) {
    return Unexpected{MakeError(-LIO_EINVAL, "'" + path.string() +
                                                 "' is a shared library but does not export lio_plugin_register, "
                                                 "so it is not a lio plugin (a plugin defines it with "
                                                 "LIO_PLUGIN_EXPORT; see README.md, \"Writing a plugin\").")};
  }

  Registration registration{this, &backends_, shown, {}, std::nullopt};
  RegistrarContext& context = NewRegistrarContext(shown, &host_);
  context.open.store(&registration, std::memory_order_release);
  registering_.push_back(canonical);
  int rc = entry(&context.registrar);
  registering_.pop_back();
  context.open.store(nullptr, std::memory_order_release);
  if (registration.error) return Unexpected{std::move(*registration.error)};
  if (rc != 0) {
    std::error_code code = make_error(rc < 0 ? rc : -LIO_EINVAL);
    return Unexpected{Error{code, "lio_plugin_register in '" + path.string() + "' failed with " +
                                      error_name(rc) + " (" + code.message() +
                                      "): the plugin refused to register; see its documentation."}};
  }
  if (registration.pending.empty()) {
    return Unexpected{MakeError(-LIO_EINVAL, "plugin '" + path.string() +
                                                 "' registered no backend: the plugin is broken or empty.")};
  }

  std::vector<std::string> names;
  for (BackendInfo& info : registration.pending) {
    names.push_back(info.name);
    backends_.push_back(std::make_unique<BackendInfo>(std::move(info)));
  }
  plugins_.push_back(std::make_unique<Plugin>(Plugin{canonical, shown, std::move(library)}));
  return names;
}

std::vector<Error> Registry::LoadAll() {
  std::vector<Error> errors = refused_dirs_;
  for (const fs::path& dir : search_dirs_) {
    std::error_code ec;
    std::vector<fs::path> files;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      if (IsPluginFileName(it->path().filename().string())) files.push_back(it->path());
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& file : files) {
      auto loaded = LoadPlugin(file);
      if (!loaded) errors.push_back(std::move(loaded).error());
    }
  }
  load_failures_.clear();
  for (const Error& e : errors) load_failures_.push_back(e.message);
  return errors;
}

Expected<const BackendInfo*, Error> Registry::Find(std::string_view name) {
  auto registered = [&]() -> const BackendInfo* {
    for (const auto& info : backends_) {
      if (info->name == name) return info.get();
    }
    return nullptr;
  };
  if (const BackendInfo* info = registered()) return info;
  // Not a name any plugin could register — and never a path to search for.
  if (!ValidBackendName(std::string(name))) {
    return Unexpected{MakeError(-LIO_EINVAL, "'" + std::string(name) +
                                                 "' is not a backend name: names are 1 to 64 of lower-case letters, "
                                                 "digits, '_', '-' and ':', beginning with a letter or digit "
                                                 "(run 'lio backends' to list them); to load a plugin file, give "
                                                 "its path.")};
  }

  // The plugin a name lives in: "x" and "x:anything" both in liblio_x.
  std::string_view plugin_name = name.substr(0, name.find(':'));
  for (const fs::path& dir : search_dirs_) {
    fs::path file = dir / PluginFileName(plugin_name);
    std::error_code ec;
    if (plugin_name.empty() || !fs::exists(file, ec)) continue;
    auto loaded = LoadPlugin(file);
    if (!loaded) return Unexpected{std::move(loaded).error()};
    if (const BackendInfo* info = registered()) return info;
  }
  LoadAll();
  if (const BackendInfo* info = registered()) return info;

  std::string found;
  for (const auto& info : backends_) found += (found.empty() ? "" : ", ") + info->name;
  std::string message = "unknown backend '" + std::string(name) + "'. Backends found: " +
                        (found.empty() ? "none" : found) + ". Searched: " + JoinPaths(search_dirs_) +
                        ". Set LIO_PLUGIN_PATH to the directory that holds " + PluginFileName(plugin_name) +
                        ", or load the plugin by path.";
  for (const std::string& failure : load_failures_) message += "\n  (skipped: " + failure + ")";
  return Unexpected{MakeError(-LIO_ENOENT, std::move(message))};
}

Expected<const BackendInfo*, Error> Registry::Resolve(std::string_view name) {
  if (name.empty()) {
    const char* env = std::getenv("LIO_BACKEND");
    name = (env != nullptr && env[0] != '\0') ? std::string_view(env) : std::string_view("auto");
  }
  if (name != "auto") return Find(name);

  LoadAll();
  std::vector<const BackendInfo*> candidates = backends();
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const BackendInfo* a, const BackendInfo* b) { return a->priority > b->priority; });
  std::string reasons;
  for (const BackendInfo* info : candidates) {
    ProbeResult probe = Backend::Probe(*info);
    if (probe.ok()) return info;
    reasons += "\n  " + info->name + ": " + probe.why;
  }
  if (candidates.empty()) {
    std::string message = "no lio backend plugin found. Searched: " + JoinPaths(search_dirs_) +
                          ". Set LIO_PLUGIN_PATH to the directory that holds the " + PluginFileName("NAME") +
                          " files.";
    for (const std::string& failure : load_failures_) message += "\n  (skipped: " + failure + ")";
    return Unexpected{MakeError(-LIO_ENOENT, std::move(message))};
  }
  return Unexpected{MakeError(-LIO_ENOSYS, "no backend can run here (every probe failed):" + reasons)};
}

Expected<Backend, Error> Registry::Open(std::string_view name, const BackendOptions& options) {
  bool automatic = name == "auto" || (name.empty() && (std::getenv("LIO_BACKEND") == nullptr ||
                                                       std::getenv("LIO_BACKEND")[0] == '\0'));
  auto resolved = Resolve(name);
  if (!resolved) return Unexpected{std::move(resolved).error()};
  const BackendInfo& info = **resolved;
  if (!automatic) {
    ProbeResult probe = Backend::Probe(info);
    if (!probe.ok()) {
      return Unexpected{MakeError(probe.code, "backend '" + info.name + "' cannot run here: " + probe.why +
                                                   ". Choose another backend (LIO_BACKEND=NAME) or 'auto'.")};
    }
  }
  return Backend::Create(info, options);
}

std::vector<const BackendInfo*> Registry::backends() const {
  std::vector<const BackendInfo*> out;
  for (const auto& info : backends_) out.push_back(info.get());
  return out;
}

}  // namespace lio
