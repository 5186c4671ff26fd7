// Test-only plugins for the loader tests. One source, built several times
// with FAKE_* defines, each variant exercising one loader outcome. The good
// variant is a tiny working backend (nop only) so lio::Backend can be tested
// without a kernel mechanism.
#include <cstddef>
#include <cstring>
#include <vector>

#include "lio/core/plugin_abi.h"

struct lio_backend {
  std::vector<lio_completion> queued;
  std::vector<lio_completion> batch;
  uint32_t capacity = 0;
  uint32_t in_flight = 0;
};

namespace {

#ifndef FAKE_NAME
#define FAKE_NAME "fake_good"
#endif
#ifndef FAKE_ABI_VERSION
#define FAKE_ABI_VERSION LIO_ABI_VERSION
#endif

int Probe(char* why, size_t why_size) {
#ifdef FAKE_PROBE_FAILS
  std::strncpy(why, "the fake mechanism is switched off for this test", why_size - 1);
  return -LIO_ENOSYS;
#else
  (void)why;
  (void)why_size;
  return 0;
#endif
}

int Create(const lio_backend_config* config, lio_backend** out) {
  if (config->capacity == 0) return -LIO_EINVAL;
  auto* b = new lio_backend;
  b->capacity = config->capacity;
  b->queued.reserve(config->capacity);
  b->batch.reserve(config->capacity);
  *out = b;
  return 0;
}

void Destroy(lio_backend* b) { delete b; }

int Push(lio_backend* b, uint64_t id, const lio_op* op) {
  if (op->code != LIO_OP_NOP) return -LIO_EOPNOTSUPP;
  if (b->in_flight == b->capacity) return -LIO_EAGAIN;
  ++b->in_flight;
  b->queued.push_back(lio_completion{id, 0, 0, 0});
  return 0;
}

int Flush(lio_backend* b) { return static_cast<int>(b->queued.size()); }

int Wait(lio_backend* b, int64_t, const lio_completion** out) {
  b->batch.swap(b->queued);
  b->queued.clear();
  b->in_flight -= static_cast<uint32_t>(b->batch.size());
  *out = b->batch.data();
  return static_cast<int>(b->batch.size());
}

int Cancel(lio_backend*, uint64_t) { return -LIO_ENOENT; }
int Wake(lio_backend*) { return 0; }

// FAKE_VTABLE_SIZE, FAKE_CAPABILITIES and FAKE_FEATURES shape the vtable as
// a 1.0 plugin built it (shorter, with whatever lies past its end) or as a
// 1.1 plugin that declares a feature without its calls.
#ifndef FAKE_VTABLE_SIZE
#define FAKE_VTABLE_SIZE sizeof(lio_backend_vtable)
#endif
#ifndef FAKE_CAPABILITIES
#define FAKE_CAPABILITIES LIO_CAP(LIO_OP_NOP)
#endif
#ifndef FAKE_FEATURES
#define FAKE_FEATURES 0
#endif

const lio_backend_vtable kVtable = {
    FAKE_VTABLE_SIZE, FAKE_ABI_VERSION, FAKE_NAME, "test-only fake backend", FAKE_CAPABILITIES,
    FAKE_PRIORITY, 0, Probe, Create, Destroy, Push, Flush, Wait, Cancel, Wake, FAKE_FEATURES,
};

}  // namespace

#ifndef FAKE_NO_SYMBOL
extern "C" LIO_PLUGIN_EXPORT int lio_plugin_register(const lio_registrar* registrar) {
#ifdef FAKE_REGISTRATION_FAILS
  (void)registrar;
  return -LIO_EIO;
#else
#ifdef FAKE_LOOKS_UP_ITSELF
  // A wrapping backend looks up its inner backend while registering; a name
  // that leads back to this very plugin file must not recurse.
  const lio_host* host = registrar->host;
  if (host->find_backend(host->context, FAKE_NAME ":inner") != nullptr) return -LIO_EINVAL;
#endif
  return registrar->register_backend(registrar->context, &kVtable);
#endif
}
#else
extern "C" LIO_PLUGIN_EXPORT int not_a_lio_entry_point() { return 0; }
#endif
