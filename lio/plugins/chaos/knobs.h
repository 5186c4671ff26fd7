// The chaos plugin's knobs: how often it does each kind of mischief, and the
// seed that makes its choices repeatable. README.md documents them for users.
//
// Each knob is set, lowest precedence first, by its default, by the
// environment variable LIO_CHAOS_<KEY> (upper case), and by "key=value" in
// the backend's options string. Rates are probabilities in [0, 1] written as
// decimals ("0", "0.25", "1").
#ifndef LIO_PLUGINS_CHAOS_KNOBS_H_
#define LIO_PLUGINS_CHAOS_KNOBS_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace lio::chaos {

struct Knobs {
  uint64_t seed = 1;                     // seed
  double short_io = 0.25;                // short: stream-socket read/write/send/recv asks for fewer bytes
  double eintr = 0.05;                   // eintr: a blocking call on a socket or pipe "interrupted" (-EINTR)
  double eagain = 0.25;                  // eagain: a call on a non-blocking socket or pipe "would block"
  double delay = 0.25;                   // delay: a completion is held back ...
  uint64_t delay_max_us = 2000;          // delay_max_us: ... for up to this long
  double reorder = 0.5;                  // reorder: a batch is shuffled (timeouts keep their order)
  double cancel_race = 0.5;              // cancel_race: a cancel reaches the inner backend late ...
  uint64_t cancel_delay_max_us = 1000;   // cancel_delay_max_us: ... by up to this long
};

// Every key, in the order README.md lists them.
inline constexpr std::string_view kKnobKeys[] = {
    "seed", "short", "eintr", "eagain", "delay", "delay_max_us", "reorder", "cancel_race", "cancel_delay_max_us",
};

// Sets the knob `key` from `value`. False (knobs unchanged) when the key is
// unknown or the value is not valid for it.
bool SetKnob(Knobs* knobs, std::string_view key, std::string_view value);

// "LIO_CHAOS_DELAY_MAX_US" for "delay_max_us".
std::string EnvName(std::string_view key);

// Applies every LIO_CHAOS_<KEY> that is set and non-empty. False, with the
// offending variable in *bad, when one holds an invalid value.
bool ApplyEnvironment(Knobs* knobs, std::string* bad);

// A decimal probability "0", "1", "0.125", ".5" in [0, 1].
bool ParseRate(std::string_view text, double* out);

}  // namespace lio::chaos

#endif  // LIO_PLUGINS_CHAOS_KNOBS_H_
