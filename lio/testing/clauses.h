// The clauses of the backend contract: one entry per identifier written in
// lio/core/plugin_abi.h beside its sentence ("[push.full_first]").
//
// Every conformance case names exactly one identifier, spelled with '_' for
// '.' as a C++ name (`LIO_CONFORMANCE_CASE(CapacityTest, push_full_first,
// FullIsAnsweredBeforeADuplicateId)` defines
// `CapacityTest.push_full_first_FullIsAnsweredBeforeADuplicateId`); the
// fixture records the dotted id as the gtest property "clause", so
// `lio conformance` reports per identifier, and its group (the part before
// the dot) is the old coarse clause's place.
//
// An identifier no case can check says why in `not_testable`; one a case
// checks but no wrapper around a real backend can break (so no broken plugin
// in lio/testing/broken/ proves the case can fail) says why in
// `not_breakable`. tools/checks/clause_map.sh holds the three lists — the
// header's ids, these entries, the cases — to each other.
#ifndef LIO_TESTING_CLAUSES_H_
#define LIO_TESTING_CLAUSES_H_

#include <array>
#include <string_view>

namespace lio::testing {

struct Clause {
  std::string_view id;       // "push.full_first", as in plugin_abi.h
  std::string_view promise;  // the sentence, shortened
  std::string_view not_testable = {};   // why no case checks it, or empty
  std::string_view not_breakable = {};  // why no broken plugin breaks it, or empty

  constexpr bool testable() const { return not_testable.empty(); }
  // "push" of "push.full_first".
  constexpr std::string_view group() const { return id.substr(0, id.find('.')); }
};

namespace clauses {

// ---- abi: versioning (the top of the header) ----
inline constexpr Clause abi_struct_size{
    .id = "abi.struct_size",
    .promise = "A reader touches only the fields within the struct_size it was given; missing fields are zero.",
    .not_testable = "the general rule; each struct's reading is its own id: create.config_read, push.minor_versions, "
                    "register.registrar_checked"};
inline constexpr Clause abi_host_refuses_major{
    .id = "abi.host_refuses_major",
    .promise = "The host refuses a struct of another ABI major.",
    .not_testable = "a duty of the host, not of a backend (lio/core's registry tests check it)"};
inline constexpr Clause completion_layout_frozen{
    .id = "completion.layout_frozen",
    .promise = "lio_completion's layout is frozen for a major version.",
    .not_testable = "a property of the header, checked at compile time (static_assert in lio/core), not of a backend"};

// ---- register: the plugin and its vtable ----
inline constexpr Clause register_name{
    .id = "register.name",
    .promise = "The backend's name follows lio_backend_name_valid.",
    .not_breakable = "the host refuses a registration with a bad name (-EINVAL), so a plugin that breaks it is never "
                     "loaded and the runner stops (exit 2) before any case; the loader's tests check the refusal"};
inline constexpr Clause register_description{
    .id = "register.description", .promise = "The description is one non-empty line."};
inline constexpr Clause register_capabilities{
    .id = "register.capabilities", .promise = "Only capability bits of real op codes are set."};
inline constexpr Clause register_vtable_major{
    .id = "register.vtable_major",
    .promise = "The vtable's ABI major is the host's.",
    .not_breakable = "the host refuses a vtable of another major, so a plugin that breaks it is never loaded and the "
                     "runner stops (exit 2) before any case; the loader's tests check the refusal"};
inline constexpr Clause register_registrar_checked{
    .id = "register.registrar_checked",
    .promise = "lio_plugin_register reads nothing past the registrar's struct_size and refuses (-EINVAL, registering "
               "nothing) a NULL registrar, one too short, of another major, or without register_backend."};
inline constexpr Clause register_vtable_lifetime{
    .id = "register.vtable_lifetime",
    .promise = "The vtable and its strings live as long as the plugin stays loaded.",
    .not_testable = "the suite keeps every plugin loaded for the whole run; a dangling vtable shows only after an "
                    "unload, which is the loader's business"};
inline constexpr Clause register_host_answers{
    .id = "register.host_answers",
    .promise = "register_backend answers -EINVAL for a malformed vtable, -EEXIST for a taken name.",
    .not_testable = "a duty of the host (lio/core's registry tests check it)"};
inline constexpr Clause register_returns{
    .id = "register.returns",
    .promise = "lio_plugin_register registers every backend and returns 0, or returns a negative error.",
    .not_testable = "a plugin that breaks it never gets loaded: the runner refuses it (exit 2) before any case runs"};
inline constexpr Clause register_priority{
    .id = "register.priority",
    .promise = "Priority ranks backends for \"auto\".",
    .not_testable = "any priority is valid; choosing by it is the host's duty (registry tests)"};

// ---- probe ----
inline constexpr Clause probe_explains{
    .id = "probe.explains", .promise = "probe answers 0, or a negative error with a sentence saying why."};
inline constexpr Clause probe_no_side_effects{
    .id = "probe.no_side_effects", .promise = "probe answers the same every time."};

// ---- create ----
inline constexpr Clause create_config_read{
    .id = "create.config_read",
    .promise = "create reads the config up to its struct_size, which must reach capacity; another major or NULL is "
               "-EINVAL."};
inline constexpr Clause create_capacity_zero{.id = "create.capacity_zero", .promise = "capacity 0 is -EINVAL."};
inline constexpr Clause create_flags_ignored{
    .id = "create.flags_ignored", .promise = "Config flag bits the backend does not know are ignored."};
inline constexpr Clause create_options{
    .id = "create.options",
    .promise = "options: NULL or \"\" is none; unknown keys and text that is not key=value are -EINVAL."};
inline constexpr Clause create_host_optional{
    .id = "create.host_optional", .promise = "create accepts a config whose host is NULL."};
inline constexpr Clause create_out_untouched{
    .id = "create.out_untouched", .promise = "create that fails leaves *out untouched."};
inline constexpr Clause create_errors{
    .id = "create.errors",
    .promise = "create's error is -EINVAL for a bad config, -ENOMEM, or the OS mechanism's error.",
    .not_testable = "-ENOMEM and the OS's refusals cannot be provoked from outside the plugin; the bad-config answers "
                    "are create.config_read, create.capacity_zero and create.options"};
inline constexpr Clause create_owner_thread{
    .id = "create.owner_thread",
    .promise = "An instance is owned by the thread that created it.",
    .not_testable = "a duty of the caller (use it from one thread); wake's exception is wake.thread_safe"};
inline constexpr Clause create_preallocated{
    .id = "create.preallocated",
    .promise = "Everything the submit/complete path needs is allocated in create.",
    .not_testable = "the suite cannot see a plugin's allocations (it may use its own allocator); what can be seen is "
                    "capacity.in_flight and push.full"};
inline constexpr Clause capacity_in_flight{
    .id = "capacity.in_flight",
    .promise = "capacity operations can be in flight (pushed and not yet returned by wait); reaping frees room."};

// ---- destroy ----
inline constexpr Clause destroy_in_flight{
    .id = "destroy.in_flight",
    .promise = "destroy cancels and waits for what is in flight, touches no buffer after it returns, delivers nothing."};
inline constexpr Clause destroy_releases_everything{
    .id = "destroy.releases_everything",
    .promise = "destroy releases everything create made: handles, threads, memory mappings."};

// ---- push ----
inline constexpr Clause push_malformed{
    .id = "push.malformed",
    .promise = "push answers -EINVAL for a struct_size too small to reach u, another major, or a code past the last."};
inline constexpr Clause push_undeclared{
    .id = "push.undeclared", .promise = "push answers -EOPNOTSUPP for an undeclared code, whatever the op holds."};
inline constexpr Clause push_declared_implemented{
    .id = "push.declared_implemented",
    .promise = "A declared code is never refused with -EOPNOTSUPP nor completes with -ENOSYS/-EOPNOTSUPP."};
inline constexpr Clause push_undefined_flags{
    .id = "push.undefined_flags",
    .promise = "push answers -EINVAL for flag bits the code does not define (op flags, LIO_OPEN_* flags)."};
inline constexpr Clause push_full{
    .id = "push.full", .promise = "push past capacity answers -EAGAIN and queues nothing; nothing is lost."};
inline constexpr Clause push_full_first{
    .id = "push.full_first", .promise = "Full (-EAGAIN) is answered before a duplicate id (-EEXIST)."};
inline constexpr Clause push_duplicate{
    .id = "push.duplicate", .promise = "push of an id in flight answers -EEXIST and takes no room."};
inline constexpr Clause push_order{
    .id = "push.order",
    .promise = "push's errors are checked in the header's order.",
    .not_testable = "the order itself is checked pairwise by the ids of each step: push.undeclared (whatever the "
                    "op holds) and push.full_first"};
inline constexpr Clause push_minor_versions{
    .id = "push.minor_versions",
    .promise = "An op of another minor version is read up to its struct_size; missing fields are zero."};
inline constexpr Clause push_op_errors_complete{
    .id = "push.op_errors_complete",
    .promise = "Errors of the operation itself arrive as its completion, never from push."};
inline constexpr Clause push_op_not_kept{
    .id = "push.op_not_kept", .promise = "The backend keeps no pointer to the op after push returns."};
inline constexpr Clause push_no_syscall{
    .id = "push.no_syscall",
    .promise = "push makes no system call.",
    .not_testable = "the suite cannot count a plugin's system calls portably (a performance promise)"};

// ---- flush ----
inline constexpr Clause flush_count{
    .id = "flush.count", .promise = "flush returns exactly how many queued ops it handed over (0 for none)."};
inline constexpr Clause flush_one_syscall{
    .id = "flush.one_syscall",
    .promise = "flush hands everything over in one system call (none while an SQPOLL thread is awake).",
    .not_testable = "the suite cannot count a plugin's system calls portably (a performance promise)"};

// ---- wait ----
inline constexpr Clause wait_forever_blocks{
    .id = "wait.forever_blocks", .promise = "wait(-1) blocks until a completion (or a wake)."};
inline constexpr Clause wait_zero_does_not_block{
    .id = "wait.zero_does_not_block", .promise = "wait(0) returns at once with what is ready."};
inline constexpr Clause wait_duration{
    .id = "wait.duration",
    .promise = "wait(d > 0) returns 0 after about d, or as soon as a completion arrives."};
inline constexpr Clause wait_array_lifetime{
    .id = "wait.array_lifetime",
    .promise = "wait's array stays valid until the next wait or push.",
    .not_testable = "nothing of the plugin runs between two calls, so a broken lifetime shows only as a read after "
                    "free, which ASan finds in the suite's own runs, not a verdict a case can give"};
inline constexpr Clause wait_exactly_once{
    .id = "wait.exactly_once", .promise = "Each pushed op completes exactly once, ever."};
inline constexpr Clause wait_flushes{
    .id = "wait.flushes", .promise = "wait flushes what was pushed and not yet flushed."};

// ---- completion ----
inline constexpr Clause completion_id{
    .id = "completion.id",
    .promise = "A completion's id is the pushed token, all 64 bits; no completion carries an id not in flight."};
inline constexpr Clause completion_result_matches_id{
    .id = "completion.result_matches_id",
    .promise = "A completion's result is that of the op pushed under its id, whatever else completes with it."};
inline constexpr Clause completion_flags_zero{
    .id = "completion.flags_zero", .promise = "A completion's flags (and reserved) are 0."};

// ---- cancel ----
inline constexpr Clause cancel_completes_once{
    .id = "cancel.completes_once",
    .promise = "cancel of an in-flight op answers 0; it completes once, promptly (-ECANCELED or its real result); "
               "no other op is touched."};
inline constexpr Clause cancel_enoent{
    .id = "cancel.enoent", .promise = "cancel of an id not in flight (never pushed, or reaped) is -ENOENT."};
inline constexpr Clause cancel_twice{
    .id = "cancel.twice", .promise = "Cancelling again before the op was reaped answers 0 and changes nothing."};

// ---- wake ----
inline constexpr Clause wake_thread_safe{
    .id = "wake.thread_safe", .promise = "wake, from another thread, makes a blocked wait return."};
inline constexpr Clause wake_before_wait{
    .id = "wake.before_wait", .promise = "A wake before a wait makes that next wait return."};
inline constexpr Clause wake_one_ends_one{
    .id = "wake.one_ends_one",
    .promise = "One wake ends one wait: the wait after the one it ended blocks as usual."};

// ---- results, per row of the header's table ----
inline constexpr Clause result_nop{.id = "result.nop", .promise = "NOP completes with 0."};
inline constexpr Clause result_bytes_read{
    .id = "result.bytes_read", .promise = "READ, READV, RECV, RECVMSG: the bytes read (0 at end of file)."};
inline constexpr Clause result_bytes_written{
    .id = "result.bytes_written", .promise = "WRITE, WRITEV, SEND, SENDMSG: the bytes written."};
inline constexpr Clause result_zero{
    .id = "result.zero", .promise = "FSYNC, CLOSE, CONNECT, SHUTDOWN: 0, and the call's effect happened."};
inline constexpr Clause result_new_handle{
    .id = "result.new_handle", .promise = "OPENAT, SOCKET, ACCEPT: the new handle."};
inline constexpr Clause result_timeout{
    .id = "result.timeout", .promise = "TIMEOUT: -ETIME when it expires, not earlier, in deadline order."};
inline constexpr Clause result_poll{
    .id = "result.poll", .promise = "POLL: the asked events that are ready, plus ERR/HUP, no other bit."};
inline constexpr Clause result_bad_input{
    .id = "result.bad_input",
    .promise = "Bad arguments (zero/huge lengths, NULL buffers, wrong-kind handles, iovcnt 0 or > 1024, NULL/empty/"
               "over-long paths, negative timeouts, unknown poll bits) complete as the blocking call does; never a "
               "crash or hang."};
inline constexpr Clause result_errors{
    .id = "result.errors",
    .promise = "An op's error is -LIO_E* (Linux numbering) of the error its blocking call reports."};

// ---- per-op arguments and flags ----
inline constexpr Clause offset_current{
    .id = "offset.current", .promise = "LIO_OFFSET_CURRENT uses the file position and advances it."};
inline constexpr Clause openat_dir{
    .id = "openat.dir", .promise = "openat resolves a relative path against its dir handle."};
inline constexpr Clause openat_at_fdcwd{
    .id = "openat.at_fdcwd", .promise = "openat with LIO_AT_FDCWD resolves against the current directory."};
inline constexpr Clause openat_flags{
    .id = "openat.flags", .promise = "Each LIO_OPEN_* flag has its O_* namesake's effect."};
inline constexpr Clause openat_mode{
    .id = "openat.mode", .promise = "openat creates a file with mode less the umask, as open(2) does."};
inline constexpr Clause fsync_datasync{
    .id = "fsync.datasync", .promise = "LIO_FSYNC_DATASYNC is fdatasync: accepted and completes with 0."};
inline constexpr Clause timeout_absolute{
    .id = "timeout.absolute",
    .promise = "LIO_TIMEOUT_ABSOLUTE: ns is a deadline on the steady clock; a past one expires at once."};
inline constexpr Clause accept_address{
    .id = "accept.address",
    .promise = "accept writes the peer's address and its size; addr and addrlen may be NULL."};
inline constexpr Clause recvmsg_msghdr_out{
    .id = "recvmsg.msghdr_out",
    .promise = "recvmsg writes back namelen, controllen and flags (MSG_TRUNC...) before its completion."};

// ---- handles and buffers ----
inline constexpr Clause handles_out_of_range{
    .id = "handles.out_of_range",
    .promise = "A handle no open handle can have completes with -EBADF; it is never cut down to one that may be."};
inline constexpr Clause handles_created_mode{
    .id = "handles.created_mode", .promise = "Handles the backend creates are close-on-exec and blocking."};
inline constexpr Clause handles_caller_mode_kept{
    .id = "handles.caller_mode_kept", .promise = "The caller's handles keep their mode (blocking stays blocking)."};
inline constexpr Clause buffers_untouched_after_completion{
    .id = "buffers.untouched_after_completion",
    .promise = "The backend never touches a buffer, address or msghdr after its operation completed."};

// ---- 1.1 versioning and features (issue 14/15/20, lead) ----
inline constexpr Clause abi_minor_compatible{
    .id = "abi.minor_compatible",
    .promise = "A 1.0 plugin still loads and passes; the host never pushes it a 1.1 code or flag.",
    .not_testable = "a duty of the host, not of a backend: lio/core's registry_test reads a 1.0-sized vtable, and the "
                    "meta-test abi_1_0_shape_passes runs the whole suite against a plugin registered as a 1.0 "
                    "binary registers (vtable ending at wake, minor 0)"};
inline constexpr Clause register_features{
    .id = "register.features",
    .promise = "Only defined feature bits are set, and a declared feature's calls are not NULL."};
inline constexpr Clause register_native_ops{
    .id = "register.native_ops",
    .promise = "native_ops names the declared codes the OS mechanism performs itself; no side effects."};
inline constexpr Clause push_undeclared_feature{
    .id = "push.undeclared_feature",
    .promise = "A flag of an undeclared feature makes push answer -EOPNOTSUPP."};

// ---- 1.1 operations of lio 0.4.1 and peers (issue 20) ----
inline constexpr Clause result_as_blocking_call{
    .id = "result.as_blocking_call",
    .promise = "Each 1.1 op completes with what its blocking call returns on the same arguments."};
inline constexpr Clause statx_buffer{
    .id = "statx.buffer",
    .promise = "STATX writes its lio_statx before the completion and never after."};
inline constexpr Clause pipe_handles{
    .id = "pipe.handles",
    .promise = "PIPE writes the read end to fds[0] and the write end to fds[1] before the completion."};
inline constexpr Clause waitid_info{
    .id = "waitid.info",
    .promise = "WAITID writes the siginfo before the completion."};

// ---- 1.1 multishot, buffer groups, zero-copy send (issue 14) ----
inline constexpr Clause multishot_more{
    .id = "multishot.more",
    .promise = "MORE means more completions follow; only multi-completion codes carry it."};
inline constexpr Clause multishot_final_once{
    .id = "multishot.final_once",
    .promise = "Every op ends with exactly one completion without MORE, after which its id is free."};
inline constexpr Clause multishot_cancel{
    .id = "multishot.cancel",
    .promise = "Cancel of a multishot op ends it with exactly one final completion."};
inline constexpr Clause multishot_accept_handles{
    .id = "multishot.accept_handles",
    .promise = "Each ACCEPT_MULTI completion >= 0 is a distinct new handle."};
inline constexpr Clause bufgroup_add{
    .id = "bufgroup.add",
    .promise = "add_buffer_group checks its arguments and makes every buffer available."};
inline constexpr Clause bufgroup_take{
    .id = "bufgroup.take",
    .promise = "An op reading into a group names the buffer it took; none is named twice before its return."};
inline constexpr Clause bufgroup_completion{
    .id = "bufgroup.completion",
    .promise = "A completion that took a buffer sets BUFFER and the buffer id; result bytes are in it."};
inline constexpr Clause bufgroup_enobufs{
    .id = "bufgroup.enobufs",
    .promise = "An empty (or unknown) group completes with -ENOBUFS and loses no data."};
inline constexpr Clause bufgroup_return{
    .id = "bufgroup.return",
    .promise = "return_buffer makes a lent buffer available; -ENOENT / -EINVAL otherwise."};
inline constexpr Clause bufgroup_remove{
    .id = "bufgroup.remove",
    .promise = "remove_buffer_group: 0, -ENOENT, or -EBUSY while an op on the group is in flight."};
inline constexpr Clause send_zc_notice{
    .id = "send_zc.notice",
    .promise = "SEND_ZC's result with MORE is followed by one NOTIF completion; without MORE none."};

// ---- 1.1 links, registered resources (issue 14) ----
inline constexpr Clause link_order{
    .id = "link.order",
    .promise = "An op with LIO_OPF_LINK starts the next one only after it completed."};
inline constexpr Clause link_flush_ends{
    .id = "link.flush_ends",
    .promise = "A flush ends a chain still open."};
inline constexpr Clause link_fail_forward{
    .id = "link.fail_forward",
    .promise = "After a failed op of a chain (an error, a short read/write, a short send/recv under MSG_WAITALL), "
               "every later op completes with -ECANCELED."};
inline constexpr Clause link_timeout{
    .id = "link.timeout",
    .promise = "LINK_TIMEOUT after a linked op is its deadline: -ECANCELED / -ETIME as documented."};
inline constexpr Clause fixed_register{
    .id = "fixed.register",
    .promise = "register_files / register_buffers replace the table; -EBUSY while in use."};
inline constexpr Clause fixed_file{
    .id = "fixed.file",
    .promise = "With LIO_OPF_FIXED_FILE the handle indexes the registered files; a bad index is -EBADF."};
inline constexpr Clause fixed_buffer{
    .id = "fixed.buffer",
    .promise = "READ/WRITE_FIXED act as READ/WRITE within a registered buffer; outside it, or a bad index, -EFAULT."};

// ---- 1.1 fast path (issue 15) ----
inline constexpr Clause config_unique_ids{
    .id = "config.unique_ids",
    .promise = "Under LIO_CONFIG_UNIQUE_IDS every op still completes once under its full id, capacity holds, and "
               "cancel still completes the op once; only the duplicate check may go."};
inline constexpr Clause cancel_unique_ids{
    .id = "cancel.unique_ids",
    .promise = "Under LIO_CONFIG_UNIQUE_IDS cancel of an id not in flight answers 0 or -ENOENT; no completion "
               "carries the id and no other op is touched."};
inline constexpr Clause wait_array_survives_push{
    .id = "wait.array_survives_push",
    .promise = "With LIO_FEATURE_STABLE_COMPLETIONS the wait array stays unchanged through push, flush and cancel "
               "until the next wait."};

}  // namespace clauses

inline constexpr std::array kAllClauses = {
    clauses::abi_struct_size,
    clauses::abi_host_refuses_major,
    clauses::completion_layout_frozen,
    clauses::register_name,
    clauses::register_description,
    clauses::register_capabilities,
    clauses::register_vtable_major,
    clauses::register_registrar_checked,
    clauses::register_vtable_lifetime,
    clauses::register_host_answers,
    clauses::register_returns,
    clauses::register_priority,
    clauses::probe_explains,
    clauses::probe_no_side_effects,
    clauses::create_config_read,
    clauses::create_capacity_zero,
    clauses::create_flags_ignored,
    clauses::create_options,
    clauses::create_host_optional,
    clauses::create_out_untouched,
    clauses::create_errors,
    clauses::create_owner_thread,
    clauses::create_preallocated,
    clauses::capacity_in_flight,
    clauses::destroy_in_flight,
    clauses::destroy_releases_everything,
    clauses::push_malformed,
    clauses::push_undeclared,
    clauses::push_declared_implemented,
    clauses::push_undefined_flags,
    clauses::push_full,
    clauses::push_full_first,
    clauses::push_duplicate,
    clauses::push_order,
    clauses::push_minor_versions,
    clauses::push_op_errors_complete,
    clauses::push_op_not_kept,
    clauses::push_no_syscall,
    clauses::flush_count,
    clauses::flush_one_syscall,
    clauses::wait_forever_blocks,
    clauses::wait_zero_does_not_block,
    clauses::wait_duration,
    clauses::wait_array_lifetime,
    clauses::wait_exactly_once,
    clauses::wait_flushes,
    clauses::completion_id,
    clauses::completion_result_matches_id,
    clauses::completion_flags_zero,
    clauses::cancel_completes_once,
    clauses::cancel_enoent,
    clauses::cancel_twice,
    clauses::wake_thread_safe,
    clauses::wake_before_wait,
    clauses::wake_one_ends_one,
    clauses::result_nop,
    clauses::result_bytes_read,
    clauses::result_bytes_written,
    clauses::result_zero,
    clauses::result_new_handle,
    clauses::result_timeout,
    clauses::result_poll,
    clauses::result_bad_input,
    clauses::result_errors,
    clauses::offset_current,
    clauses::openat_dir,
    clauses::openat_at_fdcwd,
    clauses::openat_flags,
    clauses::openat_mode,
    clauses::fsync_datasync,
    clauses::timeout_absolute,
    clauses::accept_address,
    clauses::recvmsg_msghdr_out,
    clauses::handles_out_of_range,
    clauses::handles_created_mode,
    clauses::handles_caller_mode_kept,
    clauses::buffers_untouched_after_completion,
    clauses::abi_minor_compatible,
    clauses::register_features,
    clauses::register_native_ops,
    clauses::push_undeclared_feature,
    clauses::result_as_blocking_call,
    clauses::statx_buffer,
    clauses::pipe_handles,
    clauses::waitid_info,
    clauses::multishot_more,
    clauses::multishot_final_once,
    clauses::multishot_cancel,
    clauses::multishot_accept_handles,
    clauses::bufgroup_add,
    clauses::bufgroup_take,
    clauses::bufgroup_completion,
    clauses::bufgroup_enobufs,
    clauses::bufgroup_return,
    clauses::bufgroup_remove,
    clauses::send_zc_notice,
    clauses::link_order,
    clauses::link_flush_ends,
    clauses::link_fail_forward,
    clauses::link_timeout,
    clauses::fixed_register,
    clauses::fixed_file,
    clauses::fixed_buffer,
    clauses::config_unique_ids,
    clauses::cancel_unique_ids,
    clauses::wait_array_survives_push,
};

// Whether `test_name` begins with `id` spelled as a C++ name ('.' -> '_')
// followed by '_': "push_full_first_X" begins with push.full_first.
constexpr bool NameBeginsWithId(std::string_view test_name, std::string_view id) {
  if (test_name.size() <= id.size() || test_name[id.size()] != '_') return false;
  for (size_t i = 0; i < id.size(); ++i) {
    char expected = id[i] == '.' ? '_' : id[i];
    if (test_name[i] != expected) return false;
  }
  return true;
}

// The clause a test name starts with ("push_full_first_X" -> push.full_first;
// the longest id wins, so push.full never claims a push.full_first case), or
// nullptr when it names none.
constexpr const Clause* ClauseOfTestName(std::string_view test_name) {
  const Clause* best = nullptr;
  for (const Clause& clause : kAllClauses) {
    if (NameBeginsWithId(test_name, clause.id) && (best == nullptr || clause.id.size() > best->id.size())) {
      best = &clause;
    }
  }
  return best;
}

// The clause called `id` ("push.full_first"), or nullptr.
constexpr const Clause* ClauseById(std::string_view id) {
  for (const Clause& clause : kAllClauses) {
    if (clause.id == id) return &clause;
  }
  return nullptr;
}

}  // namespace lio::testing

#endif  // LIO_TESTING_CLAUSES_H_
