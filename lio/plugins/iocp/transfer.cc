// read, write, readv, writev, send and recv on the iocp backend: a cursor
// over the caller's buffers, moved on by one call after another.
//
// Sockets take WSARecv/WSASend (up to kMaxBufs WSABUFs a call); files, pipes
// and devices take ReadFile/WriteFile (one segment a call). A write goes on
// until every byte is written; a read of a file goes on past a full chunk;
// a read of anything else returns what the first call got. A handle opened
// without FILE_FLAG_OVERLAPPED goes to a worker, which makes the same calls
// blocking (BlockingTransfer).
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "lio/core/plugin_abi.h"
#include "lio/plugins/iocp/errno_map.h"
#include "lio/plugins/iocp/op_calls.h"

namespace lio::iocp {
namespace {

// Ends a transfer: bytes done if any (a partial result, as POSIX gives when
// an error follows some progress), else `error_result`.
Outcome EndTransfer(Record& r, int64_t error_result) {
  int64_t result = r.done > 0 ? static_cast<int64_t>(r.done) : error_result;
  if (r.update_position && r.done > 0) {
    LARGE_INTEGER to;
    to.QuadPart = r.base_offset + static_cast<int64_t>(r.done);
    SetFilePointerEx(r.io_handle, to, nullptr, FILE_BEGIN);
  }
  return Done(result);
}

}  // namespace

void Advance(Record& r, uint64_t n) {
  r.done += n;
  while (n > 0 && r.seg < r.iovcnt) {
    uint64_t left = r.iov[r.seg].len - r.seg_offset;
    if (n < left) {
      r.seg_offset += n;
      return;
    }
    n -= left;
    ++r.seg;
    r.seg_offset = 0;
  }
  while (r.seg < r.iovcnt && r.iov[r.seg].len == r.seg_offset) {
    ++r.seg;
    r.seg_offset = 0;
  }
}

bool AtEnd(const Record& r) { return r.seg >= r.iovcnt; }

uint32_t FillBufs(const Record& r, WSABUF* bufs, uint64_t* total) {
  uint32_t n = 0;
  *total = 0;
  uint64_t offset = r.seg_offset;
  for (uint32_t i = r.seg; i < r.iovcnt && n < kMaxBufs; ++i, offset = 0) {
    uint64_t len = r.iov[i].len - offset;
    if (len == 0) continue;
    bool cut = len > kMaxChunk;
    if (cut) len = kMaxChunk;
    bufs[n].buf = static_cast<char*>(r.iov[i].base) + offset;
    bufs[n].len = static_cast<ULONG>(len);
    *total += len;
    ++n;
    if (cut) break;
  }
  return n;
}

int64_t TotalLength(const lio_iovec* iov, uint32_t iovcnt) {
  uint64_t total = 0;
  for (uint32_t i = 0; i < iovcnt; ++i) total += iov[i].len;
  return static_cast<int64_t>(total);
}

Outcome StartTransfer(Record& r, const CallContext& ctx) {
  HANDLE h = reinterpret_cast<HANDLE>(r.handle);
  bool vectored = r.code == LIO_OP_READV || r.code == LIO_OP_WRITEV;
  bool reads = r.code == LIO_OP_READ || r.code == LIO_OP_READV || r.code == LIO_OP_RECV;
  int64_t offset = LIO_OFFSET_CURRENT;
  if (vectored) {
    r.iov = r.u.rwv.iov;
    r.iovcnt = r.u.rwv.iovcnt;
    offset = r.u.rwv.offset;
    if (r.iovcnt > kIovMax || (r.iov == nullptr && r.iovcnt > 0)) return Done(-LIO_EINVAL);
  } else if (r.code == LIO_OP_READ || r.code == LIO_OP_WRITE) {
    r.single = {r.u.rw.buf, static_cast<size_t>(r.u.rw.len)};
    r.iov = &r.single;
    r.iovcnt = 1;
    offset = r.u.rw.offset;
  } else {  // SEND, RECV
    r.single = {r.u.sr.buf, static_cast<size_t>(r.u.sr.len)};
    r.iov = &r.single;
    r.iovcnt = 1;
  }
  if (offset < LIO_OFFSET_CURRENT) return Done(-LIO_EINVAL);

  // Which call: sockets take WSARecv/WSASend; read/write use ReadFile/
  // WriteFile on any handle; readv/writev look at what the handle is.
  bool socket_io = r.code == LIO_OP_SEND || r.code == LIO_OP_RECV;
  bool disk = false;
  if (vectored) {
    SetLastError(NO_ERROR);
    DWORD type = GetFileType(h);
    if (type == FILE_TYPE_UNKNOWN && GetLastError() != NO_ERROR) return Done(ErrorResult(GetLastError()));
    disk = type == FILE_TYPE_DISK;
    int socket_type = 0;
    socket_io = type == FILE_TYPE_PIPE && SocketType(static_cast<SOCKET>(r.handle), &socket_type) == 0;
  }
  if (socket_io && Synchronous(h)) {
    return Done(-LIO_EOPNOTSUPP);  // made without WSA_FLAG_OVERLAPPED: it cannot do overlapped I/O
  }
  if (socket_io) {
    r.io = reads ? Io::kSocketRecv : Io::kSocketSend;
    r.chain = !reads;  // a send finishes what it was given; a recv takes what is there
    r.wsa_flags = r.code == LIO_OP_SEND || r.code == LIO_OP_RECV ? static_cast<DWORD>(r.u.sr.flags) : 0;
    r.base_offset = -1;
  } else {
    r.io = reads ? Io::kFileRead : Io::kFileWrite;
    // A file reads on past a full chunk; a pipe or device returns what it has.
    r.chain = !reads || (vectored && disk);
    r.base_offset = offset;
    if (Synchronous(h)) {
      // Opened without FILE_FLAG_OVERLAPPED: the calls would block this
      // thread, so a worker makes them.
      r.io_handle = h;
      r.use_file_pointer = offset == LIO_OFFSET_CURRENT;
      Advance(r, 0);
      r.done = 0;
      return ToWorker();
    }
    if (offset == LIO_OFFSET_CURRENT) {
      // Overlapped I/O names its offset: start at the file pointer and move
      // it past the bytes done, as read(2)/write(2) do. Not seekable (a pipe,
      // a socket): offset 0, which such handles ignore.
      LARGE_INTEGER zero{}, position{};
      if (SetFilePointerEx(h, zero, &position, FILE_CURRENT)) {
        r.base_offset = position.QuadPart;
        r.update_position = true;
      } else {
        r.base_offset = -1;
      }
    }
  }
  r.io_handle = h;
  Bind(ctx, h);
  // Skip leading empty buffers (a cursor always rests on a non-empty one).
  Advance(r, 0);
  r.done = 0;
  return IssueTransfer(r);
}

Outcome IssueTransfer(Record& r) {
  std::memset(&r.ov, 0, sizeof r.ov);
  BOOL ok;
  DWORD error = 0;
  if (r.io == Io::kFileRead || r.io == Io::kFileWrite) {
    void* buf = nullptr;
    uint64_t len = 0;
    if (!AtEnd(r)) {
      buf = static_cast<char*>(r.iov[r.seg].base) + r.seg_offset;
      len = (std::min<uint64_t>)(r.iov[r.seg].len - r.seg_offset, kMaxChunk);
    }
    r.requested = len;
    if (r.base_offset >= 0) {
      uint64_t at = static_cast<uint64_t>(r.base_offset) + r.done;
      r.ov.Offset = static_cast<DWORD>(at);
      r.ov.OffsetHigh = static_cast<DWORD>(at >> 32);
    }
    ok = r.io == Io::kFileRead ? ReadFile(r.io_handle, buf, static_cast<DWORD>(len), nullptr, &r.ov)
                               : WriteFile(r.io_handle, buf, static_cast<DWORD>(len), nullptr, &r.ov);
    if (!ok) error = GetLastError();
  } else {
    uint64_t total = 0;
    uint32_t n = FillBufs(r, r.scratch.bufs, &total);
    WSABUF empty{0, nullptr};
    WSABUF* bufs = n > 0 ? r.scratch.bufs : &empty;
    r.requested = total;
    SOCKET sock = reinterpret_cast<SOCKET>(r.io_handle);
    int rc;
    if (r.io == Io::kSocketRecv) {
      DWORD flags = r.wsa_flags;
      rc = WSARecv(sock, bufs, n > 0 ? n : 1, nullptr, &flags, &r.ov, nullptr);
    } else {
      rc = WSASend(sock, bufs, n > 0 ? n : 1, nullptr, r.wsa_flags, &r.ov, nullptr);
    }
    ok = rc == 0;
    if (!ok) error = WSAGetLastError();
  }
  if (ok || QueuesPacket(error, r.io)) return Issued();
  return EndTransfer(r, Receives(r.io) ? ReadErrorResult(error) : ErrorResult(error));
}

Outcome CompleteTransfer(Record& r, DWORD bytes, DWORD error) {
  bool receives = Receives(r.io);
  if (error != 0 && !(receives && (error == ERROR_MORE_DATA || error == WSAEMSGSIZE))) {
    return EndTransfer(r, receives ? ReadErrorResult(error) : ErrorResult(error));
  }
  Advance(r, bytes);
  bool more = r.chain && error == 0 && bytes == r.requested && bytes > 0 && !AtEnd(r) && !r.cancel_requested;
  if (more) return IssueTransfer(r);  // ends the transfer itself if the call fails
  return EndTransfer(r, 0);
}

// Blocking ReadFile/WriteFile calls from the transfer's cursor, chunk after
// chunk while the record says to go on. At LIO_OFFSET_CURRENT the calls take
// no OVERLAPPED, so the OS uses and advances the file pointer as read(2)
// does; at an offset they take one (its event's low bit set: no completion
// packet) and the file pointer, which Windows moves for synchronous handles,
// is put back, as pread(2) leaves it. CancelSynchronousIo ends a call early.
int64_t BlockingTransfer(Record& r, WorkerThreadScratch& scratch) {
  HANDLE h = r.io_handle;
  bool reads = r.io == Io::kFileRead;
  LARGE_INTEGER saved{};
  bool restore = !r.use_file_pointer && r.base_offset >= 0 && SetFilePointerEx(h, LARGE_INTEGER{}, &saved, FILE_CURRENT);
  DWORD error = 0;
  for (;;) {
    if (r.worker_cancel.load(std::memory_order_acquire)) {
      error = ERROR_OPERATION_ABORTED;
      break;
    }
    void* buf = nullptr;
    uint64_t len = 0;
    if (!AtEnd(r)) {
      buf = static_cast<char*>(r.iov[r.seg].base) + r.seg_offset;
      len = (std::min<uint64_t>)(r.iov[r.seg].len - r.seg_offset, kMaxChunk);
    }
    DWORD n = 0;
    BOOL ok;
    if (r.use_file_pointer) {
      ok = reads ? ReadFile(h, buf, static_cast<DWORD>(len), &n, nullptr)
                 : WriteFile(h, buf, static_cast<DWORD>(len), &n, nullptr);
    } else {
      OVERLAPPED ov{};
      if (r.base_offset >= 0) {
        uint64_t at = static_cast<uint64_t>(r.base_offset) + r.done;
        ov.Offset = static_cast<DWORD>(at);
        ov.OffsetHigh = static_cast<DWORD>(at >> 32);
      }
      ResetEvent(scratch.event);
      ov.hEvent = reinterpret_cast<HANDLE>(reinterpret_cast<uintptr_t>(scratch.event) | 1);
      ok = reads ? ReadFile(h, buf, static_cast<DWORD>(len), nullptr, &ov)
                 : WriteFile(h, buf, static_cast<DWORD>(len), nullptr, &ov);
      if (ok || GetLastError() == ERROR_IO_PENDING) ok = GetOverlappedResult(h, &ov, &n, TRUE);
    }
    if (!ok) {
      error = GetLastError();
      if (!(reads && error == ERROR_MORE_DATA)) break;
      error = 0;  // a message longer than the buffer: these bytes are the read
    }
    Advance(r, n);
    if (!r.chain || n == 0 || n < len || AtEnd(r)) break;
  }
  if (restore) SetFilePointerEx(h, saved, nullptr, FILE_BEGIN);
  if (r.done > 0) return static_cast<int64_t>(r.done);
  return reads ? ReadErrorResult(error) : ErrorResult(error);
}

}  // namespace lio::iocp
