// lio_iocp.dll — lio's Windows backend ("iocp", priority 100, every op), on
// I/O completion ports.
//
// (Over 500 lines: every state an op passes through — push, start, packet,
// done, wait, cancel, and destroy's reaping — is read here as one piece;
// what each op's Windows calls are lives in op_calls.cc and transfer.cc.)
//
// Where things are (this folder):
//   iocp_backend.cc  this file: the vtable's life — create, destroy, push,
//                    flush, wait, cancel, wake — and each op's state, the
//                    timers, the reaping of completion packets.
//   op_calls.h/.cc   per-op translation: the Record an op lives in, the
//                    dispatch of an op to its Windows calls, the overlapped
//                    socket calls (WSARecvMsg/WSASendMsg, AcceptEx, ConnectEx,
//                    the AFD poll), the calls made at once, and what each
//                    completion packet means.
//   transfer.cc      per-op translation of read/write/readv/writev/send/recv:
//                    ReadFile/WriteFile and WSARecv/WSASend chunk by chunk.
//   afd.h            the AFD poll request behind LIO_OP_POLL.
//   probe.h/.cc      whether the backend can run here (Winsock 2.2).
//   errno_map.h/.cc  Windows error codes -> -LIO_E* (also used by the
//                    conformance suite's reference results).
//   blocking_ops.h/.cc  what the worker threads (the kit's WorkerPool,
//                    lio/plugins/common/worker_pool.h) run: openat
//                    (CreateFileW), fsync (FlushFileBuffers), and each
//                    thread's scratch.
//   fs_ops.h/.cc     ... and the 1.1 file-system ops (rename, unlink, mkdir,
//                    links, ftruncate, statx) with Linux's answers.
//
// In this file:
//   ---- the backend ----      IocpBackend: its slots and queues, Init, and
//                              Start (an op's first step at flush);
//   ---- completions ----      OnPacket, DrainDone, ExpireTimers, Teardown;
//   ---- the vtable ----       push, flush, wait, cancel, wake;
//   ---- the C boundary ----   create, the vtable (the plugin kit,
//                              lio/plugins/common/backend_kit.h, which reads
//                              and checks every struct first), and
//                              lio_plugin_register.
//
// Every operation becomes one of four things:
//   - overlapped I/O on the caller's handle, whose completion packet the
//     port delivers: ReadFile/WriteFile (read, write, and readv/writev on
//     files, one segment after another), WSARecv/WSASend (recv, send, and
//     readv/writev on sockets), WSARecvMsg/WSASendMsg (recvmsg, sendmsg on
//     datagram sockets), AcceptEx, ConnectEx, and the AFD poll request (poll,
//     see afd.h) — op_calls.cc and transfer.cc;
//   - a packet posted to the port with PostQueuedCompletionStatus (nop, and
//     wake, which completes nothing);
//   - a job for the worker pool, which posts a kWorkerKey packet (no
//     OVERLAPPED) when jobs are done, and wait drains it: openat -> CreateFileW and fsync -> FlushFileBuffers (Windows has no
//     overlapped form of either), and read/write/readv/writev on a handle
//     opened without FILE_FLAG_OVERLAPPED (stdin, a file from fopen), whose
//     calls would otherwise block this thread and post no packet. Cancel
//     drops a job no thread took yet, and interrupts one in its call
//     (CancelSynchronousIo, WorkerPool::interrupt). Sockets made
//     without WSA_FLAG_OVERLAPPED (socket() and lio's socket op never make
//     such) are refused with -EOPNOTSUPP;
//   - a call made at once because it never blocks (close, socket, shutdown,
//     connect of a datagram socket), or a timer in a heap whose nearest
//     deadline bounds GetQueuedCompletionStatusEx.
//
// Everything an operation needs — its OVERLAPPED, WSABUF array, WSAMSG,
// AcceptEx address buffer, AFD poll block — lives in its slot of a table made
// in create for `capacity` operations, so push, flush, wait and cancel
// allocate nothing. A completion packet's OVERLAPPED pointer leads back to
// its slot; a pointer outside the table (someone else's I/O on a handle bound
// to this port) is ignored. The completion port's rules the calls rely on
// are in op_calls.h.
//
// Cancel is CancelIoEx on the op's own OVERLAPPED; the op then completes
// with ERROR_OPERATION_ABORTED (-ECANCELED) or, if it won the race, its real
// result — exactly once either way, since a packet is reaped once. destroy
// cancels everything in flight and reaps every packet before the table is
// freed, so the OS never writes into freed memory.
//
// Options ("key=value,..."): workers=N (1..64, default 2), the threads that
// run openat and fsync.
//
// ABI 1.1, emulated (declared, and not in native_ops): registered files and
// buffers — LIO_OPF_FIXED_FILE's index becomes the registered handle at push,
// READ_FIXED / WRITE_FIXED become READ / WRITE once their range is checked
// (plugins/common/emulated_links.h); and links, as the poller runs them: a
// chain's ops are handed over at flush but the next waits (kHeld) until the
// one before finished, then starts at the next wait (kReleased), or finishes
// with -ECANCELED when that one failed; a LINK_TIMEOUT is a timer started
// with the op it guards, which cancels that op when it fires.
// (std::min)(...) below: <windows.h> may define min/max macros (MSVC does
// unless NOMINMAX).
#include <winsock2.h>
#include <windows.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string_view>
#include <utility>
#include <vector>

#include "lio/core/plugin_abi.h"
#include "lio/plugins/common/backend_kit.h"
#include "lio/plugins/common/clock.h"
#include "lio/plugins/common/emulated_links.h"
#include "lio/plugins/common/op_table.h"
#include "lio/plugins/common/options.h"
#include "lio/plugins/common/timer_heap.h"
#include "lio/plugins/common/worker_pool.h"
#include "lio/plugins/iocp/errno_map.h"
#include "lio/plugins/iocp/op_calls.h"
#include "lio/plugins/iocp/probe.h"
#include "lio/plugins/iocp/fs_ops.h"

namespace lio::iocp {
namespace {

constexpr uint32_t kDefaultWorkers = 2;
constexpr uint32_t kMaxWorkers = 64;

// 1.1: bind and listen (Winsock). Not tee, splice, pipe or waitid: Windows
// has no pipe-to-socket move, no tee, and no anonymous pipe that overlapped
// I/O works on (CreatePipe's are synchronous; a named pipe pair would be a
// different kind of handle), and process exit is a wait on a HANDLE, not a
// child reaped by pid — none would be the blocking call the contract names.
// 1.1 registered files and buffers map back to plain handles and buffers.
// 1.1: multishot accept, as AcceptEx re-armed after each client (Windows has
// no multishot call; one AcceptEx is in the OS at a time, as with an ACCEPT
// pushed again at each completion, without the round trip through the caller).
// Buffer groups, RECV_MULTI and SEND_ZC are not declared: overlapped WSARecv
// needs its buffer when issued, so a group's buffer would be taken before
// any data came.
constexpr uint64_t kCapabilities = LIO_CAP_OPS_1_0 | kFsOpCodes | LIO_CAP(LIO_OP_BIND) | LIO_CAP(LIO_OP_LISTEN) |
                                   LIO_CAP(LIO_OP_READ_FIXED) | LIO_CAP(LIO_OP_WRITE_FIXED) | LIO_CAP(LIO_OP_ACCEPT_MULTI) |
                                   LIO_CAP(LIO_OP_LINK_TIMEOUT);
// [wait.array_survives_push]: out_ is cleared and filled (within the
// capacity reserved in init, so never moved) only by wait.
constexpr uint64_t kFeatures =
    LIO_FEATURE_LINK | LIO_FEATURE_FIXED_FILES | LIO_FEATURE_FIXED_BUFFERS | LIO_FEATURE_STABLE_COMPLETIONS;

// Per-slot bits of a 1.1 op (IocpBackend::extras_; 0 for a plain op).
constexpr uint8_t kUsesFiles = 0x1;    // holds the registered files busy
constexpr uint8_t kUsesBuffers = 0x2;  // holds the registered buffers busy
constexpr uint8_t kFailAtStart = 0x4;  // completes with its record's result when started
constexpr uint8_t kInChain = 0x8;      // has chain or link-timeout neighbours (links_)
constexpr uint32_t kNoSlot = UINT32_MAX;

// An op's neighbours in its chain, by slot.
struct ChainLinks {
  uint32_t prev = kNoSlot;
  uint32_t next = kNoSlot;
  uint32_t link_timeout = kNoSlot;  // its LINK_TIMEOUT
  uint32_t guarded = kNoSlot;       // a LINK_TIMEOUT: the op it is the deadline of
  bool held = false;                // waits for `prev`
};

// A wait of `ns` in GetQueuedCompletionStatusEx's milliseconds, rounded up
// so the wait never ends before `ns`.
DWORD CeilMs(int64_t ns) {
  if (ns <= 0) return 0;
  int64_t ms = (ns + 999'999) / 1'000'000;
  return ms >= INFINITE ? INFINITE - 1 : static_cast<DWORD>(ms);
}

// ---- the backend -------------------------------------------------------------

// One instance: the opaque lio_backend* (the kit's thunks cast to it). The five
// lower-case calls are the vtable's; the rest are its steps.
class IocpBackend {
 public:
  IocpBackend() = default;
  IocpBackend(const IocpBackend&) = delete;
  IocpBackend& operator=(const IocpBackend&) = delete;
  // destroy: cancels and reaps everything in flight, then lets go of the
  // port, the worker threads and Winsock.
  ~IocpBackend();

  static int probe(char* why, size_t why_size) noexcept { return Probe(why, why_size); }
  // create: reads the options, then Init. Throws std::bad_alloc.
  static int create(const lio_backend_config& config, std::unique_ptr<IocpBackend>* out);
  // The part of create after the options are read: 0 or -LIO_E*. On an
  // error the instance is only fit to be deleted.
  int Init(uint32_t capacity, unsigned workers);

  uint64_t capabilities() const noexcept { return kCapabilities; }
  uint64_t features() const noexcept { return kFeatures; }
  int register_files(const lio_handle* handles, uint32_t count) noexcept {
    return tables_.register_files(handles, count);
  }
  int register_buffers(const lio_iovec* buffers, uint32_t count) noexcept {
    return tables_.register_buffers(buffers, count);
  }
  int push(uint64_t id, const lio_op& op) noexcept;
  int flush() noexcept;
  int wait(int64_t timeout_ns, const lio_completion** out) noexcept;
  int cancel(uint64_t id) noexcept;
  int wake() noexcept;

 private:
  struct Unit {};

  CallContext Calls() const { return CallContext{port_, &sockets_}; }
  // The slot of an OVERLAPPED, or UINT32_MAX when it is not one of ours.
  uint32_t SlotOf(const OVERLAPPED* ov) const;
  static int64_t RunJob(void* context, uint32_t slot, uint32_t worker);
  static void NotifyJobsDone(void* context);

  void Start(uint32_t s);
  void PrepareFixed(uint32_t s, const lio_op& op);
  void ReleaseFixed(uint32_t s);
  // Links (1.1).
  void LinkIntoChain(uint32_t s, bool link);
  void StartExtra(uint32_t s);
  void StartReleased();
  void OnChainDone(uint32_t s, int64_t result);
  void FailForward(uint32_t s);
  void EndEarly(uint32_t s, int64_t result);
  void StartTimer(uint32_t s);
  void StartOnWorker(uint32_t s);
  bool StopOnWorker(uint32_t s);
  void Apply(uint32_t s, Outcome outcome);
  void Finish(uint32_t s, int64_t result);

  void OnPacket(const OVERLAPPED_ENTRY& entry, bool* woken);
  void ReapWorkers();
  void AcceptAgain(uint32_t s, Outcome accepted);
  void ReleaseHeld();
  void DrainDone();
  void ExpireTimers(int64_t now);
  void Teardown();
  void ReapForTeardown(ULONG n);
  void RetryTeardown();

  HANDLE port_ = nullptr;
  bool wsa_started_ = false;
  SocketFunctions sockets_;
  plugin::WorkerPool pool_;
  std::unique_ptr<WorkerThreadScratch[]> worker_scratch_;  // one per pool thread
  unsigned workers_ = 0;

  plugin::OpTable<Unit> table_;
  std::unique_ptr<Record[]> records_;
  uint32_t capacity_ = 0;
  std::vector<uint32_t> queued_;       // pushed, not flushed, in push order
  std::vector<uint32_t> done_;         // results known, not yet returned
  std::vector<lio_completion> more_;   // ACCEPT_MULTI clients (MORE), not yet returned; capacity entries
  std::vector<uint32_t> held_;         // kClientHeld ACCEPT_MULTI records
  std::vector<lio_completion> out_;    // the batch wait returned
  std::vector<OVERLAPPED_ENTRY> entries_;
  plugin::TimerHeap timers_;
  uint32_t in_os_ = 0;                 // records whose packet or pool result will come
  std::atomic<bool> wake_pending_{false};
  plugin::RegisteredTables tables_;    // register_files / register_buffers
  std::vector<uint8_t> extras_;        // per slot: kUsesFiles, kUsesBuffers, kFailAtStart, kInChain
  std::vector<ChainLinks> links_;      // per slot, while kInChain
  std::vector<uint32_t> released_;     // kReleased slots, started by wait
  uint32_t open_tail_ = kNoSlot;       // the last op pushed, while it carries LIO_OPF_LINK
};

IocpBackend::~IocpBackend() {
  if (port_ != nullptr) Teardown();
  pool_.stop();
  for (unsigned i = 0; i < workers_; ++i) {
    if (worker_scratch_[i].event != nullptr) CloseHandle(worker_scratch_[i].event);
  }
  if (port_ != nullptr) CloseHandle(port_);
  if (wsa_started_) WSACleanup();
}

int IocpBackend::Init(uint32_t capacity, unsigned workers) {
  try {
    capacity_ = capacity;
    table_.init(capacity);
    records_.reset(new Record[capacity]());
    queued_.reserve(capacity);
    done_.reserve(capacity);
    extras_.assign(capacity, 0);
    more_.reserve(capacity);
    held_.reserve(capacity);
    links_.assign(capacity, ChainLinks{});
    released_.reserve(capacity);
    out_.reserve(static_cast<size_t>(capacity) * 2);
    entries_.resize(static_cast<size_t>(capacity) + 1);
    timers_.init(capacity);
    worker_scratch_.reset(new WorkerThreadScratch[workers]);
    workers_ = workers;
  } catch (const std::bad_alloc&) {
    return -LIO_ENOMEM;
  }
  for (uint32_t s = 0; s < capacity_; ++s) records_[s].accept_socket = INVALID_SOCKET;

  WSADATA data;
  if (int rc = WSAStartup(MAKEWORD(2, 2), &data); rc != 0) return static_cast<int>(ErrorResult(static_cast<uint32_t>(rc)));
  wsa_started_ = true;
  if (int64_t loaded = LoadSocketFunctions(&sockets_); loaded < 0) return static_cast<int>(loaded);
  port_ = CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 1);
  if (port_ == nullptr) return static_cast<int>(ErrorResult(GetLastError()));
  for (unsigned i = 0; i < workers; ++i) {
    worker_scratch_[i].event = CreateEventW(nullptr, TRUE, FALSE, nullptr);
    if (worker_scratch_[i].event == nullptr) return static_cast<int>(ErrorResult(GetLastError()));
  }
  return pool_.start(capacity, workers, &RunJob, &NotifyJobsDone, this);
}

uint32_t IocpBackend::SlotOf(const OVERLAPPED* ov) const {
  auto p = reinterpret_cast<uintptr_t>(ov);
  auto base = reinterpret_cast<uintptr_t>(&records_[0]);
  if (p < base) return UINT32_MAX;
  uintptr_t offset = p - base;
  if (offset % sizeof(Record) != offsetof(Record, ov)) return UINT32_MAX;
  uintptr_t slot = offset / sizeof(Record);
  return slot < capacity_ ? static_cast<uint32_t>(slot) : UINT32_MAX;
}

// The pool's job, on worker thread `worker`: the record's blocking calls
// (op_calls.cc), with that thread's scratch.
int64_t IocpBackend::RunJob(void* context, uint32_t slot, uint32_t worker) {
  IocpBackend* b = static_cast<IocpBackend*>(context);
  Record& r = b->records_[slot];
  RunBlocking(r, b->worker_scratch_[worker]);
  return r.result;
}

// From a worker thread: jobs are done. One packet wakes wait, which drains
// them all (the pool sends the next only after that drain).
void IocpBackend::NotifyJobsDone(void* context) {
  IocpBackend* b = static_cast<IocpBackend*>(context);
  // A lost packet would leave the jobs undrained: retry until it is queued.
  while (!PostQueuedCompletionStatus(b->port_, 0, kWorkerKey, nullptr)) Sleep(1);
}

void IocpBackend::Finish(uint32_t s, int64_t result) {
  Record& r = records_[s];
  r.state = State::kDone;
  r.result = result;
  done_.push_back(s);
  if (extras_[s] & kInChain) [[unlikely]] OnChainDone(s, result);
}

// Moves a record on by what its call came to.
void IocpBackend::Apply(uint32_t s, Outcome outcome) {
  switch (outcome.kind) {
    case Outcome::kIssued:
      records_[s].state = State::kIssued;
      ++in_os_;
      return;
    case Outcome::kDone:
      Finish(s, outcome.result);
      return;
    case Outcome::kToWorker:
      StartOnWorker(s);
      return;
  }
}

void IocpBackend::Start(uint32_t s) {
  Record& r = records_[s];
  if (extras_[s] & kFailAtStart) [[unlikely]] {
    Finish(s, r.result);
    return;
  }
  if (r.code == LIO_OP_LINK_TIMEOUT) [[unlikely]] {  // [link.timeout]: only right after a linked op
    if (links_[s].guarded == kNoSlot) return Finish(s, -LIO_EINVAL);
    StartTimer(s);
    return;
  }
  // Negative values are no handles (POSIX: EBADF) — and on Windows -1, -2,
  // ... are pseudo-handles of this process and thread, never to be closed
  // or read. openat checks its own `dir` (LIO_AT_FDCWD is negative).
  bool takes_handle = r.code != LIO_OP_NOP && r.code != LIO_OP_SOCKET && r.code != LIO_OP_TIMEOUT &&
                      r.code != LIO_OP_OPENAT && (!IsFsOp(r.code) || FsOpTakesHandle(r.code));
  if (takes_handle && r.handle < 0) {
    Finish(s, -LIO_EBADF);
    return;
  }
  switch (r.code) {
    case LIO_OP_NOP:
      r.state = State::kPosted;
      if (!PostQueuedCompletionStatus(port_, 0, kNopKey, &r.ov)) {
        Finish(s, ErrorResult(GetLastError()));
        return;
      }
      ++in_os_;
      return;
    case LIO_OP_TIMEOUT:
      StartTimer(s);
      return;
    case LIO_OP_FSYNC:
    case LIO_OP_OPENAT:
    case LIO_OP_FTRUNCATE:
    case LIO_OP_LINKAT:
    case LIO_OP_SYMLINKAT:
    case LIO_OP_RENAMEAT:
    case LIO_OP_UNLINKAT:
    case LIO_OP_MKDIRAT:
    case LIO_OP_STATX:
      StartOnWorker(s);
      return;
    default:
      Apply(s, StartCall(r, Calls()));
      return;
  }
}

void IocpBackend::StartTimer(uint32_t s) {
  Record& r = records_[s];
  int64_t deadline;
  if (r.flags & LIO_TIMEOUT_ABSOLUTE) {
    deadline = r.u.timeout.ns;
  } else {
    // [result.bad_input]: a negative duration is already due, as zero is.
    deadline = plugin::deadline_after(std::max<int64_t>(r.u.timeout.ns, 0));
  }
  r.state = State::kTimer;
  timers_.push(s, deadline);
}

void IocpBackend::StartOnWorker(uint32_t s) {
  Record& r = records_[s];
  r.state = State::kWorker;
  r.worker_cancel.store(false, std::memory_order_relaxed);
  ++in_os_;
  pool_.submit(s);
}

// Cancels a worker job: true if it was dropped before a thread took it (no
// result will come; the caller settles the record). Else the job is told to
// stop before its next call (worker_cancel) and cut short if a thread is in
// one now; its result comes as usual.
bool IocpBackend::StopOnWorker(uint32_t s) {
  records_[s].worker_cancel.store(true, std::memory_order_release);
  if (pool_.cancel(s) == plugin::WorkerPool::CancelOutcome::kRemoved) {
    --in_os_;
    return true;
  }
  pool_.interrupt(s);
  return false;
}

// ---- completions ----------------------------------------------------------------

void IocpBackend::OnPacket(const OVERLAPPED_ENTRY& entry, bool* woken) {
  if (entry.lpOverlapped == nullptr) {
    if (entry.lpCompletionKey == kWakeKey) {
      wake_pending_.store(false, std::memory_order_release);
      *woken = true;
    }
    if (entry.lpCompletionKey == kWorkerKey) ReapWorkers();
    return;
  }
  uint32_t s = SlotOf(entry.lpOverlapped);
  if (s == UINT32_MAX) return;  // not ours: I/O someone else started on a bound handle
  Record& r = records_[s];
  switch (r.state) {
    case State::kPosted:
      if (entry.lpCompletionKey != kNopKey) return;
      --in_os_;
      Finish(s, 0);
      return;
    case State::kIssued: {
      --in_os_;
      DWORD bytes = entry.dwNumberOfBytesTransferred;
      DWORD error = CompletedError(r, &bytes);
      Outcome outcome = CompleteCall(r, entry.dwNumberOfBytesTransferred, error, Calls());
      if (r.code == LIO_OP_ACCEPT_MULTI) [[unlikely]] {
        AcceptAgain(s, outcome);
        return;
      }
      Apply(s, outcome);
      return;
    }
    default:
      return;  // a stray packet for a slot not waiting for one
  }
}

// The worker pool's finished jobs.
void IocpBackend::ReapWorkers() {
  pool_.drain([this](uint32_t s, int64_t result) {
    --in_os_;
    Finish(s, result);
  });
}

// ACCEPT_MULTI's client: delivered with MORE, and AcceptEx issued again with a
// fresh socket. What ends the stream instead is its final completion: an
// error (ERROR_OPERATION_ABORTED after cancel: -ECANCELED), or a client
// accepted after cancel was asked. When `capacity` clients already wait to be
// returned, this one is held in its record (kClientHeld) and AcceptEx waits: the
// next wait returns it and issues AcceptEx again (ReleaseHeld).
void IocpBackend::AcceptAgain(uint32_t s, Outcome accepted) {
  Record& r = records_[s];
  if (accepted.kind != Outcome::kDone || accepted.result < 0 || r.cancel_requested) {
    Apply(s, accepted);
    return;
  }
  if (more_.size() == more_.capacity()) {
    r.state = State::kClientHeld;
    r.result = accepted.result;
    held_.push_back(s);
    return;
  }
  more_.push_back(lio_completion{table_.id(s), accepted.result, LIO_COMPLETION_MORE, 0});
  Apply(s, StartCall(r, Calls()));
}

// At the start of a wait, when the last one returned what more_ held: each
// held client goes out (MORE) and its AcceptEx is issued again — or, if
// cancel was asked meanwhile, the client is the stream's final completion.
void IocpBackend::ReleaseHeld() {
  for (uint32_t s : held_) {
    Record& r = records_[s];
    if (r.cancel_requested) {
      Finish(s, r.result);
      continue;
    }
    more_.push_back(lio_completion{table_.id(s), r.result, LIO_COMPLETION_MORE, 0});
    Apply(s, StartCall(r, Calls()));
  }
  held_.clear();
}

// MORE completions first: each comes before its op's final one.
void IocpBackend::DrainDone() {
  for (const lio_completion& c : more_) out_.push_back(c);
  more_.clear();
  for (uint32_t s : done_) {
    if (extras_[s] != 0) [[unlikely]] ReleaseFixed(s);
    out_.push_back(lio_completion{table_.id(s), records_[s].result, 0, 0});
    records_[s].state = State::kFree;
    table_.erase(s);
  }
  done_.clear();
}

void IocpBackend::ExpireTimers(int64_t now) {
  while (!timers_.empty() && timers_.top_deadline() <= now) Finish(timers_.pop(), -LIO_ETIME);
}

// Cancels and reaps everything in flight; closes what was made and not
// delivered. After it, no OS call refers to the records.
void IocpBackend::Teardown() {
  if (!records_) return;
  for (uint32_t s = 0; s < capacity_; ++s) {
    Record& r = records_[s];
    switch (r.state) {
      case State::kIssued:
        r.cancel_requested = true;
        CancelIoEx(r.io_handle, &r.ov);
        break;
      case State::kWorker:
        if (StopOnWorker(s)) r.state = State::kFree;
        break;
      default:
        break;
    }
  }
  // Reap until every packet we are owed came. A handle bound to another port
  // sends its packet there: such an op counts as reaped once its OVERLAPPED
  // says it is no longer pending.
  int quiet_rounds = 0;
  while (in_os_ > 0) {
    ULONG n = 0;
    if (!GetQueuedCompletionStatusEx(port_, entries_.data(), static_cast<ULONG>(entries_.size()), &n, 100, FALSE)) n = 0;
    ReapForTeardown(n);
    quiet_rounds = n == 0 ? quiet_rounds + 1 : 0;
    if (quiet_rounds >= 10) {
      RetryTeardown();
      quiet_rounds = 0;
    }
  }
  for (uint32_t s : done_) {
    Record& r = records_[s];
    if (r.code == LIO_OP_OPENAT || r.code == LIO_OP_SOCKET || r.code == LIO_OP_ACCEPT ||
        r.code == LIO_OP_ACCEPT_MULTI) {
      CloseCreated(r.code, r.result);
    }
  }
  done_.clear();
  for (const lio_completion& c : more_) CloseCreated(LIO_OP_ACCEPT_MULTI, c.result);
  more_.clear();
  for (uint32_t s : held_) CloseCreated(LIO_OP_ACCEPT_MULTI, records_[s].result);
  held_.clear();
}

// Forgets the ops whose packets are the first `n` of entries_, and the
// worker pool's finished jobs, closing what they made.
void IocpBackend::ReapForTeardown(ULONG n) {
  pool_.drain([this](uint32_t s, int64_t result) {
    Record& r = records_[s];
    if (r.code == LIO_OP_OPENAT) CloseCreated(r.code, result);
    r.state = State::kFree;
    --in_os_;
  });
  for (ULONG i = 0; i < n; ++i) {
    const OVERLAPPED_ENTRY& e = entries_[i];
    uint32_t s = e.lpOverlapped ? SlotOf(e.lpOverlapped) : UINT32_MAX;
    if (s == UINT32_MAX) continue;
    Record& r = records_[s];
    if (r.state == State::kPosted || r.state == State::kIssued) {
      --in_os_;
      if (r.state == State::kIssued && r.io == Io::kAccept && r.accept_socket != INVALID_SOCKET) {
        closesocket(r.accept_socket);
        r.accept_socket = INVALID_SOCKET;
      }
      r.state = State::kFree;
    }
  }
}

// After a second of silence: counts an op whose OVERLAPPED is no longer
// pending as reaped (its packet went to another port), and asks the rest to
// stop once more.
void IocpBackend::RetryTeardown() {
  for (uint32_t s = 0; s < capacity_; ++s) {
    Record& r = records_[s];
    if (r.state == State::kIssued && HasOverlappedIoCompleted(&r.ov)) {
      if (r.io == Io::kAccept && r.accept_socket != INVALID_SOCKET) closesocket(r.accept_socket);
      r.state = State::kFree;
      --in_os_;
    } else if (r.state == State::kIssued) {
      CancelIoEx(r.io_handle, &r.ov);  // once more, in case the first raced a reissue
    } else if (r.state == State::kWorker) {
      pool_.interrupt(s);  // once more, in case the job was between calls
    }
  }
}

// ---- the vtable ------------------------------------------------------------------

int IocpBackend::push(uint64_t id, const lio_op& op) noexcept {
  const uint32_t s = table_.insert(id);
  if (s == table_.kNone) return table_.full() ? -LIO_EAGAIN : -LIO_EEXIST;
  if ((op.flags & LIO_OPF_GENERIC) != 0 || op.code >= LIO_OP_LINK_TIMEOUT || open_tail_ != kNoSlot) [[unlikely]] {
    PrepareFixed(s, op);
    LinkIntoChain(s, (op.flags & LIO_OPF_LINK) != 0);
  } else {
    Prepare(records_[s], op);
  }
  queued_.push_back(s);
  return 0;
}

// [fixed.file], [fixed.buffer]: the op as the plain one it stands for, or
// one that fails when started (-EBADF for a bad index, or OPENAT/CLOSE, as
// io_uring answers; -EFAULT for a range outside the registered buffer).
void IocpBackend::PrepareFixed(uint32_t s, const lio_op& op) {
  lio_op plain = op;
  plain.flags &= ~LIO_OPF_GENERIC;
  uint8_t extras = 0;
  int64_t failure = 0;
  const bool has_handle = op.code != LIO_OP_NOP && op.code != LIO_OP_TIMEOUT && op.code != LIO_OP_SOCKET;
  if ((op.flags & LIO_OPF_FIXED_FILE) && has_handle) {
    plain.handle = tables_.file(op.handle);
    if (op.code == LIO_OP_OPENAT || op.code == LIO_OP_CLOSE || plain.handle == LIO_INVALID_HANDLE) {
      failure = -LIO_EBADF;
    } else {
      extras |= kUsesFiles;
    }
  }
  if (op.code == LIO_OP_READ_FIXED || op.code == LIO_OP_WRITE_FIXED) {
    plain.code = op.code == LIO_OP_READ_FIXED ? LIO_OP_READ : LIO_OP_WRITE;
    if (!tables_.buffer_holds(op.u.rw.buf_index, op.u.rw.buf, op.u.rw.len)) {
      if (failure == 0) failure = -LIO_EFAULT;
    } else {
      extras |= kUsesBuffers;
    }
  }
  Prepare(records_[s], plain);
  if (failure != 0) {
    extras = kFailAtStart;  // holds no table: it never runs
    records_[s].result = failure;
  }
  if (extras & kUsesFiles) tables_.hold_files();
  if (extras & kUsesBuffers) tables_.hold_buffers();
  extras_[s] = extras;
}

void IocpBackend::ReleaseFixed(uint32_t s) {
  if (extras_[s] & kUsesFiles) tables_.release_files();
  if (extras_[s] & kUsesBuffers) tables_.release_buffers();
  extras_[s] = 0;
}

int IocpBackend::flush() noexcept {
  size_t n = queued_.size();
  open_tail_ = kNoSlot;  // [link.flush_ends]
  // Start() never pushes to `queued_`, so iterating it is safe.
  for (uint32_t s : queued_) {
    if (extras_[s] & kInChain) [[unlikely]] {
      StartExtra(s);
    } else {
      Start(s);
    }
  }
  queued_.clear();
  return static_cast<int>(n);
}

// ---- links (1.1) -----------------------------------------------------------------

// [link.order]: `s` follows the open chain's tail; a LINK_TIMEOUT attaches to
// the tail instead (a second one for the same op, or one with none, is
// -EINVAL when started). Behind an op cancelled before the flush, the chain
// has failed already.
void IocpBackend::LinkIntoChain(uint32_t s, bool link) {
  ChainLinks& me = links_[s];
  me = ChainLinks{};
  const uint32_t tail = std::exchange(open_tail_, kNoSlot);
  const bool tail_waiting = tail != kNoSlot && records_[tail].state != State::kDone;
  if (tail_waiting && records_[s].code == LIO_OP_LINK_TIMEOUT && links_[tail].link_timeout == kNoSlot) {
    links_[tail].link_timeout = s;
    me.guarded = tail;
    me.held = links_[tail].held;  // starts with the op it guards
    extras_[s] |= kInChain;
    extras_[tail] |= kInChain;
    if (link) open_tail_ = tail;  // the chain goes on after the guarded op
    return;
  }
  if (tail != kNoSlot && !tail_waiting) {
    extras_[s] |= kFailAtStart;
    records_[s].result = -LIO_ECANCELED;
  } else if (tail != kNoSlot) {
    links_[tail].next = s;
    me.prev = tail;
    me.held = true;
    extras_[s] |= kInChain;
    extras_[tail] |= kInChain;
  }
  if (link) open_tail_ = s;
}

// A chain member handed over, or released: held ones wait; the others start,
// with their link timeout.
void IocpBackend::StartExtra(uint32_t s) {
  if (links_[s].held) {
    records_[s].state = State::kHeld;
    return;
  }
  Start(s);
  const uint32_t timeout = links_[s].link_timeout;
  if (timeout != kNoSlot && records_[timeout].state == State::kHeld) {
    links_[timeout].held = false;
    records_[timeout].state = State::kQueued;
    Start(timeout);
  }
}

void IocpBackend::StartReleased() {
  // Starting one may release another (it finished at once): index, not iterator.
  for (size_t i = 0; i < released_.size(); ++i) {
    const uint32_t s = released_[i];
    if (records_[s].state != State::kReleased) continue;  // cancelled meanwhile
    records_[s].state = State::kQueued;
    StartExtra(s);
  }
  released_.clear();
}

void IocpBackend::OnChainDone(uint32_t s, int64_t result) {
  static_assert(kNoSlot == plugin::kNoChainSlot);
  struct Host {
    IocpBackend& b;
    plugin::ChainLinkRefs links(uint32_t i) {
      ChainLinks& x = b.links_[i];
      return {x.link_timeout, x.guarded, x.prev, x.next};
    }
    void end_early(uint32_t i, int64_t r) { b.EndEarly(i, r); }
    void cancel(uint32_t i) { b.cancel(b.table_.id(i)); }
    void fail_forward(uint32_t i) { b.FailForward(i); }
    void release(uint32_t i) {
      b.links_[i].held = false;  // still queued (its chain is being flushed): flush starts it
      if (b.records_[i].state != State::kHeld) return;
      b.records_[i].state = State::kReleased;
      b.released_.push_back(i);
    }
  } host{*this};
  lio_op done{};
  done.code = records_[s].code;
  done.u = records_[s].u;
  plugin::chain_member_done(host, s, done, result);
}

// [link.fail_forward]: `s` and every op after it in its chain, unstarted,
// complete with -ECANCELED.
void IocpBackend::FailForward(uint32_t s) {
  while (s != kNoSlot) {
    const uint32_t after = std::exchange(links_[s].next, kNoSlot);
    if (after != kNoSlot) links_[after].prev = kNoSlot;
    EndEarly(s, -LIO_ECANCELED);
    s = after;
  }
}

// Ends an op that has not started (or a link timeout's timer). One still in
// queued_ (its chain is being flushed) ends when flush reaches it.
void IocpBackend::EndEarly(uint32_t s, int64_t result) {
  switch (records_[s].state) {
    case State::kQueued:
      extras_[s] |= kFailAtStart;
      links_[s].held = false;
      records_[s].result = result;
      return;
    case State::kTimer:
      timers_.erase(s);
      Finish(s, result);
      return;
    case State::kHeld:
    case State::kReleased:
      Finish(s, result);
      return;
    default:
      return;  // running or done: its own result stands
  }
}

int IocpBackend::wait(int64_t timeout_ns, const lio_completion** out) noexcept {
  if (!queued_.empty()) flush();
  out_.clear();
  if (!held_.empty()) [[unlikely]] ReleaseHeld();
  const int64_t deadline = timeout_ns > 0 ? plugin::saturating_add(plugin::monotonic_ns(), timeout_ns) : 0;
  bool woken = false;
  for (;;) {
    ExpireTimers(plugin::monotonic_ns());
    if (!released_.empty()) [[unlikely]] StartReleased();
    DrainDone();
    DWORD ms = 0;
    if (out_.empty() && timeout_ns != 0 && !woken) {
      int64_t now = plugin::monotonic_ns();
      int64_t bound = INT64_MAX;
      if (!timers_.empty()) bound = timers_.top_deadline();
      if (timeout_ns > 0) bound = (std::min)(bound, deadline);
      ms = bound == INT64_MAX ? INFINITE : CeilMs(bound - now);
    }
    ULONG n = 0;
    if (!GetQueuedCompletionStatusEx(port_, entries_.data(), static_cast<ULONG>(entries_.size()), &n, ms, FALSE)) {
      DWORD error = GetLastError();
      if (error != WAIT_TIMEOUT) return static_cast<int>(ErrorResult(error));
      n = 0;
    }
    for (ULONG i = 0; i < n; ++i) OnPacket(entries_[i], &woken);
    ExpireTimers(plugin::monotonic_ns());
    if (!released_.empty()) [[unlikely]] StartReleased();
    DrainDone();
    if (!out_.empty() || woken || timeout_ns == 0) break;
    if (timeout_ns > 0 && plugin::monotonic_ns() >= deadline) break;
  }
  *out = out_.data();
  return static_cast<int>(out_.size());
}

int IocpBackend::cancel(uint64_t id) noexcept {
  uint32_t s = table_.find(id);
  if (s == table_.kNone) return -LIO_ENOENT;
  Record& r = records_[s];
  switch (r.state) {
    case State::kQueued: {
      auto it = std::find(queued_.begin(), queued_.end(), s);
      if (it != queued_.end()) queued_.erase(it);
      Finish(s, -LIO_ECANCELED);
      break;
    }
    case State::kTimer:
      timers_.erase(s);
      Finish(s, -LIO_ECANCELED);
      break;
    case State::kIssued:
      // ERROR_NOT_FOUND: it completed already, and its packet says how.
      r.cancel_requested = true;
      CancelIoEx(r.io_handle, &r.ov);
      break;
    case State::kWorker:
      if (StopOnWorker(s)) Finish(s, -LIO_ECANCELED);
      break;
    case State::kClientHeld:  // the held client ends the stream (ReleaseHeld)
      r.cancel_requested = true;
      break;
    case State::kHeld:      // never started: ends now, and the rest of its chain with it
    case State::kReleased:  // StartReleased skips it
      Finish(s, -LIO_ECANCELED);
      break;
    default:  // kPosted, kDone: the result is in
      break;
  }
  return 0;
}

int IocpBackend::wake() noexcept {
  // One packet at a time is enough to end one wait.
  if (wake_pending_.exchange(true, std::memory_order_acq_rel)) return 0;
  if (!PostQueuedCompletionStatus(port_, 0, kWakeKey, nullptr)) {
    wake_pending_.store(false, std::memory_order_release);
    return static_cast<int>(ErrorResult(GetLastError()));
  }
  return 0;
}

// ---- the C boundary --------------------------------------------------------------

int IocpBackend::create(const lio_backend_config& config, std::unique_ptr<IocpBackend>* out) {
  uint64_t workers = kDefaultWorkers;
  bool options_ok = plugin::for_each_option(config.options, [&](std::string_view key, std::string_view value) {
    if (key == "workers") return plugin::parse_uint(value, 1, kMaxWorkers, &workers);
    return false;
  });
  if (!options_ok) return -LIO_EINVAL;
  auto backend = std::make_unique<IocpBackend>();
  if (int error = backend->Init(config.capacity, static_cast<unsigned>(workers)); error < 0) return error;
  *out = std::move(backend);
  return 0;
}

constexpr lio_backend_vtable kVtable = plugin::make_vtable<IocpBackend>(
    "iocp",
    "Windows I/O completion ports: overlapped file and socket I/O, AcceptEx/ConnectEx, AFD poll; "
    "openat/fsync on worker threads",
    kCapabilities, /*priority=*/100, kFeatures);

}  // namespace
}  // namespace lio::iocp

extern "C" LIO_PLUGIN_EXPORT int lio_plugin_register(const lio_registrar* registrar) {
  return lio::plugin::register_backends(registrar, {&lio::iocp::kVtable});
}
