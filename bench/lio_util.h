// Small helpers the lio side of every workload shares.
#ifndef LIO_BENCH_LIO_UTIL_H_
#define LIO_BENCH_LIO_UTIL_H_

#include <cstdint>
#include <optional>
#include <string>

#include "lio/core/backend.h"

namespace lio::bench {

// lio::Backend::Open(name) with `capacity` and `options`; on failure nullopt
// and *note says why (the registry's message: no such plugin, probe failed...).
// `flags`: LIO_CONFIG_* promises (LIO_CONFIG_UNIQUE_IDS).
std::optional<lio::Backend> OpenBackend(const std::string& name, uint32_t capacity, const std::string& options,
                                        std::string* note, uint32_t flags = 0);

// The poller's options for a worker pool of `workers` threads, if the poller
// takes a "workers" key (it is tried once and remembered), else "".
std::string PollerOptions(int workers);

// "-EINVAL" style text for a negative lio result.
std::string ResultText(int64_t result);

}  // namespace lio::bench

#endif  // LIO_BENCH_LIO_UTIL_H_
