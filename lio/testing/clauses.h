// The clauses of the backend contract that the conformance suite checks.
//
// Each clause is one promise of lio/core/plugin_abi.h. Every conformance case
// names exactly one clause as the prefix of its test name
// (`LIO_CONFORMANCE_CASE(FileIoTest, result_matches_syscall, ReadAtOffset)`
// defines `FileIoTest.result_matches_syscall_ReadAtOffset`), and the fixture
// records it as the gtest property "clause", so `lio conformance` can print a
// report grouped by clause.
#ifndef LIO_TESTING_CLAUSES_H_
#define LIO_TESTING_CLAUSES_H_

#include <array>
#include <string_view>

namespace lio::testing {

struct Clause {
  std::string_view name;     // the test-name prefix and the "clause" property
  std::string_view promise;  // the promise, in one sentence
};

namespace clauses {

inline constexpr Clause capability_declared{
    "capability_declared",
    "The vtable names and describes the backend, declares only real op codes, and its ABI major matches."};
inline constexpr Clause probe_explains_refusal{
    "probe_explains_refusal", "probe answers 0, or a negative error with a sentence saying why, the same every time."};
inline constexpr Clause registration_checked{
    "registration_checked",
    "lio_plugin_register reads nothing past the registrar's struct_size and refuses (-EINVAL, registering "
    "nothing) a registrar too short to hold register_backend, of another ABI major, or without that function."};
inline constexpr Clause config_validated{"config_validated",
                                         "create reads the config up to its struct_size (it must hold capacity; capacity 0, another ABI major and "
    "unknown option keys are -EINVAL; unknown flags are ignored)."};
inline constexpr Clause push_errors{
    "push_errors",
    "push answers -EEXIST, -EOPNOTSUPP or -EINVAL for the caller's mistakes; errors of the operation itself "
    "arrive as its completion."};
inline constexpr Clause struct_versioning{
    "struct_versioning", "An op from another minor version is read up to its struct_size; missing fields are zero."};
inline constexpr Clause flush_semantics{
    "flush_semantics", "flush hands over every queued op and says how many; wait flushes what was not flushed."};
inline constexpr Clause exactly_once{"exactly_once", "Each pushed operation completes exactly once."};
inline constexpr Clause known_ids_only{"known_ids_only",
                                       "No completion carries an id that was not pushed; ids keep all 64 bits."};
inline constexpr Clause result_matches_syscall{
    "result_matches_syscall", "The result equals what the blocking system call returns (-LIO_E* for errors)."};
inline constexpr Clause handle_modes{
    "handle_modes",
    "Handles the backend creates are close-on-exec and blocking; the caller's handles keep their mode."};
inline constexpr Clause timeout_expiry{
    "timeout_expiry", "A timeout completes with -ETIME at its duration or deadline, not earlier, in deadline order."};
inline constexpr Clause wait_timeout_semantics{
    "wait_timeout_semantics",
    "wait blocks until one completion (no timeout), returns at once (zero), or returns 0 after the duration."};
inline constexpr Clause cancel_semantics{
    "cancel_semantics",
    "cancel of an in-flight op answers 0 and it completes once (-ECANCELED or its real result); otherwise "
    "-ENOENT."};
inline constexpr Clause capacity_honoured{
    "capacity_honoured",
    "capacity ops can be in flight; one more is -EAGAIN with nothing lost; reaping frees the room."};
inline constexpr Clause wake_thread_safe{
    "wake_thread_safe", "wake, from any thread, makes a blocked (or the next) wait return."};
inline constexpr Clause buffer_untouched_after_completion{
    "buffer_untouched_after_completion",
    "The backend never touches a buffer, address or msghdr after its operation completed."};
inline constexpr Clause destroy_in_flight{
    "destroy_in_flight",
    "destroy with operations in flight cancels them, touches no buffer afterwards and leaks nothing."};

}  // namespace clauses

inline constexpr std::array kAllClauses = {
    clauses::capability_declared,
    clauses::probe_explains_refusal,
    clauses::registration_checked,
    clauses::config_validated,
    clauses::push_errors,
    clauses::struct_versioning,
    clauses::flush_semantics,
    clauses::exactly_once,
    clauses::known_ids_only,
    clauses::result_matches_syscall,
    clauses::handle_modes,
    clauses::timeout_expiry,
    clauses::wait_timeout_semantics,
    clauses::cancel_semantics,
    clauses::capacity_honoured,
    clauses::wake_thread_safe,
    clauses::buffer_untouched_after_completion,
    clauses::destroy_in_flight,
};

// The clause a test name starts with ("exactly_once_ManyNops" ->
// exactly_once), or nullptr when it names none.
constexpr const Clause* ClauseOfTestName(std::string_view test_name) {
  const Clause* best = nullptr;
  for (const Clause& clause : kAllClauses) {
    bool is_prefix = test_name.size() > clause.name.size() && test_name.substr(0, clause.name.size()) == clause.name &&
                     test_name[clause.name.size()] == '_';
    if (is_prefix && (best == nullptr || clause.name.size() > best->name.size())) best = &clause;
  }
  return best;
}

}  // namespace lio::testing

#endif  // LIO_TESTING_CLAUSES_H_
