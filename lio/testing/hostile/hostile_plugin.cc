// Hostile on purpose: test-only plugins that each attack the loader one way
// (hostile_plugin_test.cc says what the host must answer). One source, built
// once per HOSTILE_* define; HOSTILE_GOOD is a tiny working backend (nop
// only) that must keep loading beside the others. Never install these.
#include <cstdio>
#include <cstring>

#include "lio/core/plugin_abi.h"

struct lio_backend {
  lio_completion batch[1];
  uint64_t queued_id;
  bool queued;
};

namespace {

int Probe(char* why, size_t why_size);

int Create(const lio_backend_config* config, lio_backend** out) {
  if (config->capacity == 0) return -LIO_EINVAL;
  *out = new lio_backend{};
  return 0;
}

void Destroy(lio_backend* b) { delete b; }

int Push(lio_backend* b, uint64_t id, const lio_op* op) {
  if (op->code != LIO_OP_NOP) return -LIO_EOPNOTSUPP;
  if (b->queued) return -LIO_EAGAIN;
  b->queued = true;
  b->queued_id = id;
  return 0;
}

int Flush(lio_backend* b) { return b->queued ? 1 : 0; }

int Wait(lio_backend* b, int64_t, const lio_completion** out) {
  *out = b->batch;
  if (!b->queued) return 0;
  b->batch[0] = lio_completion{b->queued_id, 0, 0, 0};
  b->queued = false;
  return 1;
}

int Cancel(lio_backend*, uint64_t) { return -LIO_ENOENT; }
int Wake(lio_backend*) { return 0; }

#if defined(HOSTILE_GOOD)
constexpr const char* kName = "hostile_good";
#elif defined(HOSTILE_NAME_TAKEN)
constexpr const char* kName = "hostile_good";  // taken by liblio_hostile_good.so
#elif defined(HOSTILE_BAD_NAME)
constexpr const char* kName = "Bad Name!";
#elif defined(HOSTILE_LATE_REGISTRAR)
constexpr const char* kName = "hostile_late";
#elif defined(HOSTILE_PROBE_OVERRUN)
constexpr const char* kName = "hostile_overrun";
#else
constexpr const char* kName = "hostile_other";
#endif

#if defined(HOSTILE_ABI_MAJOR)
constexpr uint32_t kAbiVersion = (LIO_ABI_VERSION_MAJOR + 1) << 16;
#else
constexpr uint32_t kAbiVersion = LIO_ABI_VERSION;
#endif

const lio_backend_vtable kVtable = {
    sizeof(lio_backend_vtable), kAbiVersion, kName, "test-only hostile plugin", LIO_CAP(LIO_OP_NOP), 1, 0,
#if defined(HOSTILE_NULL_FUNCTIONS)
    nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
#else
    Probe, Create, Destroy, Push, Flush, Wait, Cancel, Wake,
#endif
};

#if defined(HOSTILE_LATE_REGISTRAR)
// Kept past lio_plugin_register: the pointer the host passed, and a copy.
const lio_registrar* kept_registrar = nullptr;
lio_registrar copied_registrar;

const lio_backend_vtable kSecondVtable = {
    sizeof(lio_backend_vtable), LIO_ABI_VERSION, "hostile_late_second", "registered late", LIO_CAP(LIO_OP_NOP), 1, 0,
    Probe, Create, Destroy, Push, Flush, Wait, Cancel, Wake,
};

// Calls the registrar after registration returned; tells the host what it
// answered through the probe's message.
int Probe(char* why, size_t why_size) {
  int through_pointer = kept_registrar->register_backend(kept_registrar->context, &kSecondVtable);
  int through_copy = copied_registrar.register_backend(copied_registrar.context, &kSecondVtable);
  std::snprintf(why, why_size, "late register_backend answered %d through the kept pointer and %d through a copy",
                through_pointer, through_copy);
  return -LIO_EPERM;
}
#elif defined(HOSTILE_PROBE_OVERRUN)
// Writes a kilobyte past the end of the buffer it was given.
int Probe(char* why, size_t why_size) {
  std::memset(why, 'x', why_size + 1024);
  return -LIO_ENOSYS;
}
#else
int Probe(char*, size_t) { return 0; }
#endif

}  // namespace

extern "C" LIO_PLUGIN_EXPORT int lio_plugin_register(const lio_registrar* registrar) {
#if defined(HOSTILE_NULL_VTABLE)
  return registrar->register_backend(registrar->context, nullptr);
#elif defined(HOSTILE_DUPLICATE)
  registrar->register_backend(registrar->context, &kVtable);
  return registrar->register_backend(registrar->context, &kVtable);
#elif defined(HOSTILE_LATE_REGISTRAR)
  kept_registrar = registrar;
  copied_registrar = *registrar;
  return registrar->register_backend(registrar->context, &kVtable);
#else
  return registrar->register_backend(registrar->context, &kVtable);
#endif
}
