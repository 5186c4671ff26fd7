// The iocp backend's per-operation calls (see op_calls.h): the dispatch, the
// calls made at once, the overlapped socket calls, and what a handle is.
// Transfers (read/write/readv/writev/send/recv) are in transfer.cc.
//
// (std::min)(...) below: <windows.h> may define min/max macros (MSVC does
// unless NOMINMAX).
#include "lio/plugins/iocp/op_calls.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "lio/core/plugin_abi.h"
#include "lio/plugins/iocp/afd.h"
#include "lio/plugins/iocp/blocking_ops.h"
#include "lio/plugins/iocp/errno_map.h"
#include "lio/plugins/iocp/fs_ops.h"

namespace lio::iocp {
namespace {

template <class Fn>
bool LoadExtension(SOCKET s, GUID guid, Fn* fn) {
  DWORD bytes = 0;
  return WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &guid, sizeof guid, fn, sizeof *fn, &bytes, nullptr,
                  nullptr) == 0;
}

// ---- calls made at once ---------------------------------------------------------

Outcome Close(const Record& r) {
  // A socket must be closed by closesocket; anything else by CloseHandle.
  if (closesocket(static_cast<SOCKET>(r.handle)) == 0) return Done(0);
  if (WSAGetLastError() != WSAENOTSOCK) return Done(ErrorResult(WSAGetLastError()));
  return Done(CloseHandle(reinterpret_cast<HANDLE>(r.handle)) ? 0 : ErrorResult(GetLastError()));
}

Outcome MakeSocket(const Record& r) {
  SOCKET created = NewSocket(r.u.socket.domain, r.u.socket.type, r.u.socket.protocol);
  return Done(created == INVALID_SOCKET ? ErrorResult(WSAGetLastError()) : static_cast<int64_t>(created));
}

Outcome Shutdown(const Record& r) {
  int how = r.u.shutdown.how;
  if (how < 0 || how > 2) return Done(-LIO_EINVAL);
  int native = how == 0 ? SD_RECEIVE : how == 1 ? SD_SEND : SD_BOTH;
  return Done(shutdown(static_cast<SOCKET>(r.handle), native) == 0 ? 0 : ErrorResult(WSAGetLastError()));
}

// bind and listen never wait (Winsock has no overlapped form, and needs none).
Outcome BindSocket(const Record& r) {
  const auto* addr = static_cast<const sockaddr*>(r.u.bind.addr);
  const int len = static_cast<int>(r.u.bind.addrlen);
  return Done(bind(static_cast<SOCKET>(r.handle), addr, len) == 0 ? 0 : ErrorResult(WSAGetLastError()));
}

Outcome ListenSocket(const Record& r) {
  const int backlog = r.u.listen.backlog;
  return Done(listen(static_cast<SOCKET>(r.handle), backlog) == 0 ? 0 : ErrorResult(WSAGetLastError()));
}

// ---- overlapped socket calls --------------------------------------------------------

Outcome StartMessage(Record& r, const CallContext& ctx) {
  SOCKET sock = static_cast<SOCKET>(r.handle);
  lio_msghdr* msg = r.u.msg.msg;
  if (msg == nullptr || (msg->iov == nullptr && msg->iovcnt > 0)) return Done(-LIO_EFAULT);
  if (msg->iovcnt > kIovMax) return Done(-LIO_EMSGSIZE);
  int type = 0;
  if (int error = SocketType(sock, &type); error != 0) return Done(ErrorResult(error));
  if (Synchronous(reinterpret_cast<HANDLE>(sock))) return Done(-LIO_EOPNOTSUPP);  // made without WSA_FLAG_OVERLAPPED
  bool receive = r.code == LIO_OP_RECVMSG;
  r.iov = msg->iov;
  r.iovcnt = msg->iovcnt;
  r.io_handle = reinterpret_cast<HANDLE>(sock);
  r.base_offset = -1;
  Bind(ctx, r.io_handle);
  Advance(r, 0);
  r.done = 0;
  if (type == SOCK_STREAM) {
    // WSARecvMsg is for datagrams; a stream has no addresses or message
    // boundaries, so this is recv/send over the buffers.
    r.io = receive ? Io::kSocketRecv : Io::kSocketSend;
    r.chain = !receive;
    r.wsa_flags = static_cast<DWORD>(r.u.msg.flags);
    return IssueTransfer(r);
  }

  uint64_t total = 0;
  uint32_t n = FillBufs(r, r.scratch.m.bufs, &total);
  if (!receive && TotalLength(msg->iov, msg->iovcnt) > static_cast<int64_t>(total)) {
    return Done(-LIO_EMSGSIZE);  // more buffers than one call carries: a datagram cannot be split
  }
  WSAMSG& m = r.scratch.m.msg;
  std::memset(&m, 0, sizeof m);
  m.name = static_cast<LPSOCKADDR>(msg->name);
  m.namelen = msg->name ? static_cast<INT>(msg->namelen) : 0;
  m.lpBuffers = r.scratch.m.bufs;
  m.dwBufferCount = n;
  m.Control.buf = static_cast<char*>(msg->control);
  m.Control.len = msg->control ? static_cast<ULONG>(msg->controllen) : 0;
  r.requested = total;
  std::memset(&r.ov, 0, sizeof r.ov);
  int rc;
  if (receive) {
    r.io = Io::kRecvMsg;
    m.dwFlags = static_cast<DWORD>(r.u.msg.flags);
    rc = ctx.sockets->recv_msg(sock, &m, nullptr, &r.ov, nullptr);
  } else {
    r.io = Io::kSendMsg;
    rc = ctx.sockets->send_msg(sock, &m, static_cast<DWORD>(r.u.msg.flags), nullptr, &r.ov, nullptr);
  }
  DWORD error = rc == 0 ? 0 : WSAGetLastError();
  if (rc == 0 || QueuesPacket(error, r.io)) return Issued();
  return Done(ErrorResult(error));
}

Outcome StartAccept(Record& r, const CallContext& ctx) {
  SOCKET listener = static_cast<SOCKET>(r.handle);
  WSAPROTOCOL_INFOW info;
  int len = sizeof info;
  if (getsockopt(listener, SOL_SOCKET, SO_PROTOCOL_INFOW, reinterpret_cast<char*>(&info), &len) != 0) {
    return Done(ErrorResult(WSAGetLastError()));
  }
  if (Synchronous(reinterpret_cast<HANDLE>(listener))) return Done(-LIO_EOPNOTSUPP);  // made without WSA_FLAG_OVERLAPPED
  // AcceptEx accepts into a socket made beforehand, like the listener.
  r.accept_socket = NewSocket(info.iAddressFamily, info.iSocketType, info.iProtocol);
  if (r.accept_socket == INVALID_SOCKET) return Done(ErrorResult(WSAGetLastError()));
  r.io = Io::kAccept;
  r.io_handle = reinterpret_cast<HANDLE>(listener);
  Bind(ctx, r.io_handle);
  std::memset(&r.ov, 0, sizeof r.ov);
  DWORD bytes = 0;
  BOOL ok = ctx.sockets->accept_ex(listener, r.accept_socket, r.scratch.accept_addresses, 0, kAcceptAddressSize,
                                   kAcceptAddressSize, &bytes, &r.ov);
  DWORD error = ok ? 0 : WSAGetLastError();
  if (ok || error == ERROR_IO_PENDING) return Issued();
  closesocket(r.accept_socket);
  r.accept_socket = INVALID_SOCKET;
  return Done(ErrorResult(error));
}

// ConnectEx wants a bound socket; connect(2) binds implicitly. 0, or the
// op's error.
int64_t BindForConnect(SOCKET sock, const sockaddr* to) {
  sockaddr_storage local;
  int local_len = sizeof local;
  if (getsockname(sock, reinterpret_cast<sockaddr*>(&local), &local_len) == 0) return 0;
  if (WSAGetLastError() != WSAEINVAL) return ErrorResult(WSAGetLastError());
  sockaddr_storage any{};
  int any_len;
  if (to->sa_family == AF_INET) {
    reinterpret_cast<sockaddr_in&>(any).sin_family = AF_INET;
    any_len = sizeof(sockaddr_in);
  } else if (to->sa_family == AF_INET6) {
    reinterpret_cast<sockaddr_in6&>(any).sin6_family = AF_INET6;
    any_len = sizeof(sockaddr_in6);
  } else {
    return -LIO_EAFNOSUPPORT;
  }
  if (bind(sock, reinterpret_cast<sockaddr*>(&any), any_len) != 0) return ErrorResult(WSAGetLastError());
  return 0;
}

Outcome StartConnect(Record& r, const CallContext& ctx) {
  SOCKET sock = static_cast<SOCKET>(r.handle);
  const sockaddr* to = static_cast<const sockaddr*>(r.u.connect.addr);
  int addrlen = static_cast<int>(r.u.connect.addrlen);
  int type = 0;
  if (int error = SocketType(sock, &type); error != 0) return Done(ErrorResult(error));
  if (to == nullptr || addrlen < static_cast<int>(sizeof(sockaddr))) return Done(-LIO_EINVAL);
  if (type != SOCK_STREAM) {
    // Connecting a datagram socket only records the peer: it never blocks.
    return Done(connect(sock, to, addrlen) == 0 ? 0 : ErrorResult(WSAGetLastError()));
  }
  if (Synchronous(reinterpret_cast<HANDLE>(sock))) return Done(-LIO_EOPNOTSUPP);  // made without WSA_FLAG_OVERLAPPED
  if (int64_t bound = BindForConnect(sock, to); bound != 0) return Done(bound);
  r.io = Io::kConnect;
  r.io_handle = reinterpret_cast<HANDLE>(sock);
  Bind(ctx, r.io_handle);
  std::memset(&r.ov, 0, sizeof r.ov);
  BOOL ok = ctx.sockets->connect_ex(sock, to, addrlen, nullptr, 0, nullptr, &r.ov);
  DWORD error = ok ? 0 : WSAGetLastError();
  if (ok || error == ERROR_IO_PENDING) return Issued();
  return Done(ErrorResult(error));
}

// poll on what is not a socket: files are always ready, as poll(2) says;
// anything else cannot be polled through AFD.
Outcome PollNonSocket(const Record& r) {
  HANDLE h = reinterpret_cast<HANDLE>(r.handle);
  SetLastError(NO_ERROR);
  DWORD file_type = GetFileType(h);
  if (file_type == FILE_TYPE_UNKNOWN && GetLastError() != NO_ERROR) return Done(ErrorResult(GetLastError()));
  if (file_type == FILE_TYPE_DISK) return Done(r.u.poll.events & (LIO_POLL_IN | LIO_POLL_OUT));
  return Done(-LIO_EOPNOTSUPP);
}

Outcome StartPoll(Record& r, const CallContext& ctx) {
  SOCKET sock = static_cast<SOCKET>(r.handle);
  int type = 0;
  if (SocketType(sock, &type) == WSAENOTSOCK) return PollNonSocket(r);
  if (Synchronous(reinterpret_cast<HANDLE>(sock))) return Done(-LIO_EOPNOTSUPP);  // made without WSA_FLAG_OVERLAPPED
  // AFD wants the base provider's socket (it differs when a layered
  // provider is installed); without layered providers it is the socket.
  SOCKET base = sock;
  DWORD bytes = 0;
  if (WSAIoctl(sock, SIO_BASE_HANDLE, nullptr, 0, &base, sizeof base, &bytes, nullptr, nullptr) != 0) base = sock;
  afd::PollInfo& info = r.scratch.poll;
  std::memset(&info, 0, sizeof info);
  info.timeout.QuadPart = INT64_MAX;
  info.number_of_handles = 1;
  info.exclusive = FALSE;
  info.handles[0].handle = reinterpret_cast<HANDLE>(base);
  info.handles[0].events = afd::EventsFor(r.u.poll.events);
  r.io = Io::kPoll;
  r.io_handle = reinterpret_cast<HANDLE>(base);
  Bind(ctx, r.io_handle);
  std::memset(&r.ov, 0, sizeof r.ov);
  BOOL ok = DeviceIoControl(r.io_handle, afd::kIoctlPoll, &info, sizeof info, &info, sizeof info, nullptr, &r.ov);
  DWORD error = ok ? 0 : GetLastError();
  if (ok || error == ERROR_IO_PENDING) return Issued();
  return Done(ErrorResult(error));
}

// ---- completions of the socket calls ------------------------------------------------

Outcome CompleteRecvMsg(Record& r, DWORD bytes, DWORD error) {
  lio_msghdr* msg = r.u.msg.msg;
  bool truncated = error == WSAEMSGSIZE || error == ERROR_MORE_DATA;
  if (error != 0 && !truncated) return Done(ReadErrorResult(error));
  const WSAMSG& m = r.scratch.m.msg;
  if (msg->name) msg->namelen = static_cast<uint32_t>(m.namelen);
  else msg->namelen = 0;
  msg->controllen = msg->control ? m.Control.len : 0;
  msg->flags = static_cast<int32_t>(m.dwFlags) | (truncated ? MSG_TRUNC : 0);
  return Done(bytes);
}

Outcome CompleteAccept(Record& r, DWORD error, const CallContext& ctx) {
  SOCKET accepted = r.accept_socket;
  r.accept_socket = INVALID_SOCKET;
  SOCKET listener = reinterpret_cast<SOCKET>(r.io_handle);
  if (error == 0 && setsockopt(accepted, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT,
                               reinterpret_cast<const char*>(&listener), sizeof listener) != 0) {
    error = WSAGetLastError();
  }
  if (error != 0) {
    closesocket(accepted);
    return Done(ErrorResult(error));
  }
  if (r.u.accept.addr != nullptr && r.u.accept.addrlen != nullptr) {
    sockaddr* local = nullptr;
    sockaddr* remote = nullptr;
    int local_len = 0, remote_len = 0;
    ctx.sockets->get_accept_ex_sockaddrs(r.scratch.accept_addresses, 0, kAcceptAddressSize, kAcceptAddressSize,
                                         &local, &local_len, &remote, &remote_len);
    uint32_t room = *r.u.accept.addrlen;
    uint32_t size = remote != nullptr ? static_cast<uint32_t>(remote_len) : 0;
    if (size > 0) std::memcpy(r.u.accept.addr, remote, (std::min)(room, size));
    *r.u.accept.addrlen = size;
  }
  return Done(static_cast<int64_t>(accepted));
}

Outcome CompletePoll(const Record& r, DWORD error) {
  if (error != 0) return Done(ErrorResult(error));
  const afd::PollInfo& info = r.scratch.poll;
  ULONG events = info.number_of_handles > 0 ? info.handles[0].events : 0;
  if (events & afd::kLocalClose) return Done(-LIO_EBADF);  // the socket was closed while polled
  return Done(afd::LioEventsOf(events, r.u.poll.events));
}

}  // namespace

// ---- the record -------------------------------------------------------------------------

void Prepare(Record& r, const lio_op& op) {
  std::memset(&r.ov, 0, sizeof r.ov);
  r.state = State::kQueued;
  r.cancel_requested = false;
  r.chain = false;
  r.update_position = false;
  r.use_file_pointer = false;
  r.code = op.code;
  r.flags = op.flags;
  r.handle = op.handle;
  r.io_handle = reinterpret_cast<HANDLE>(op.handle);
  r.u = op.u;
  r.result = 0;
  r.iov = nullptr;
  r.iovcnt = 0;
  r.seg = 0;
  r.seg_offset = 0;
  r.done = 0;
  r.requested = 0;
  r.base_offset = -1;
  r.wsa_flags = 0;
  r.accept_socket = INVALID_SOCKET;
}

// ---- what a handle is -----------------------------------------------------------------

int64_t LoadSocketFunctions(SocketFunctions* f) {
  for (int family : {AF_INET, AF_INET6}) {
    SOCKET stream = WSASocketW(family, SOCK_STREAM, IPPROTO_TCP, nullptr, 0, WSA_FLAG_OVERLAPPED);
    SOCKET dgram = WSASocketW(family, SOCK_DGRAM, IPPROTO_UDP, nullptr, 0, WSA_FLAG_OVERLAPPED);
    bool ok = stream != INVALID_SOCKET && dgram != INVALID_SOCKET &&
              LoadExtension(stream, WSAID_ACCEPTEX, &f->accept_ex) &&
              LoadExtension(stream, WSAID_GETACCEPTEXSOCKADDRS, &f->get_accept_ex_sockaddrs) &&
              LoadExtension(stream, WSAID_CONNECTEX, &f->connect_ex) &&
              LoadExtension(dgram, WSAID_WSARECVMSG, &f->recv_msg) &&
              LoadExtension(dgram, WSAID_WSASENDMSG, &f->send_msg);
    int error = WSAGetLastError();
    if (stream != INVALID_SOCKET) closesocket(stream);
    if (dgram != INVALID_SOCKET) closesocket(dgram);
    if (ok) return 0;
    if (family == AF_INET6) return ErrorResult(error);
  }
  return -LIO_EIO;
}

SOCKET NewSocket(int family, int type, int protocol) {
  SOCKET s = WSASocketW(family, type, protocol, nullptr, 0, WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
  if (s == INVALID_SOCKET && WSAGetLastError() == WSAEINVAL) {
    // Windows before 7 SP1 does not know WSA_FLAG_NO_HANDLE_INHERIT.
    s = WSASocketW(family, type, protocol, nullptr, 0, WSA_FLAG_OVERLAPPED);
    if (s != INVALID_SOCKET) SetHandleInformation(reinterpret_cast<HANDLE>(s), HANDLE_FLAG_INHERIT, 0);
  }
  return s;
}

int SocketType(SOCKET s, int* type) {
  int len = sizeof *type;
  if (getsockopt(s, SOL_SOCKET, SO_TYPE, reinterpret_cast<char*>(type), &len) != 0) return WSAGetLastError();
  return 0;
}

// Asked with NtQueryInformationFile(FileModeInformation), documented in the
// WDK.
bool Synchronous(HANDLE h) {
  using QueryFn = LONG(NTAPI*)(HANDLE, void* io_status, void* info, ULONG length, ULONG info_class);
  static const QueryFn query =
      reinterpret_cast<QueryFn>(GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "NtQueryInformationFile"));
  constexpr ULONG kFileModeInformation = 16;
  constexpr ULONG kSynchronousIo = 0x00000010 | 0x00000020;  // FILE_SYNCHRONOUS_IO_ALERT | _NONALERT
  if (query == nullptr) return false;
  struct {
    LONG_PTR status;
    ULONG_PTR information;
  } io_status{};
  ULONG mode = 0;
  if (query(h, &io_status, &mode, sizeof mode, kFileModeInformation) < 0) return false;  // let the op report it
  return (mode & kSynchronousIo) != 0;
}

void Bind(const CallContext& ctx, HANDLE h) { CreateIoCompletionPort(h, ctx.port, kIoKey, 0); }

void CloseCreated(uint32_t code, int64_t handle) {
  if (handle < 0) return;
  if (code == LIO_OP_OPENAT) {
    CloseHandle(reinterpret_cast<HANDLE>(static_cast<intptr_t>(handle)));
  } else {
    closesocket(static_cast<SOCKET>(handle));
  }
}

// ---- results of overlapped calls --------------------------------------------------------

bool Receives(Io io) { return io == Io::kFileRead || io == Io::kSocketRecv || io == Io::kRecvMsg; }

bool QueuesPacket(DWORD error, Io io) {
  if (error == ERROR_IO_PENDING) return true;  // == WSA_IO_PENDING
  return Receives(io) && (error == ERROR_MORE_DATA || error == WSAEMSGSIZE);
}

DWORD CompletedError(const Record& r, DWORD* bytes) {
  OVERLAPPED* ov = const_cast<OVERLAPPED*>(&r.ov);
  bool socket_call = r.io != Io::kFileRead && r.io != Io::kFileWrite;
  if (socket_call) {
    DWORD flags = 0;
    if (WSAGetOverlappedResult(reinterpret_cast<SOCKET>(r.io_handle), ov, bytes, FALSE, &flags)) return 0;
    DWORD error = WSAGetLastError();
    // Winsock maps the status only while the socket exists; if the caller
    // closed it meanwhile, take the generic translation.
    if (error != WSAENOTSOCK) return error;
  }
  if (GetOverlappedResult(r.io_handle, ov, bytes, FALSE)) return 0;
  return GetLastError();
}

// ---- the dispatch -------------------------------------------------------------------------

Outcome StartCall(Record& r, const CallContext& ctx) {
  switch (r.code) {
    case LIO_OP_READ:
    case LIO_OP_WRITE:
    case LIO_OP_READV:
    case LIO_OP_WRITEV:
    case LIO_OP_SEND:
    case LIO_OP_RECV:
      return StartTransfer(r, ctx);
    case LIO_OP_SENDMSG:
    case LIO_OP_RECVMSG:
      return StartMessage(r, ctx);
    case LIO_OP_CLOSE:
      return Close(r);
    case LIO_OP_SOCKET:
      return MakeSocket(r);
    case LIO_OP_ACCEPT:
    case LIO_OP_ACCEPT_MULTI:  // one AcceptEx at a time, re-armed by the backend per client
      return StartAccept(r, ctx);
    case LIO_OP_CONNECT:
      return StartConnect(r, ctx);
    case LIO_OP_SHUTDOWN:
      return Shutdown(r);
    case LIO_OP_BIND:
      return BindSocket(r);
    case LIO_OP_LISTEN:
      return ListenSocket(r);
    case LIO_OP_POLL:
      return StartPoll(r, ctx);
    default:
      return Done(-LIO_EINVAL);
  }
}

Outcome CompleteCall(Record& r, DWORD bytes, DWORD error, const CallContext& ctx) {
  switch (r.io) {
    case Io::kFileRead:
    case Io::kFileWrite:
    case Io::kSocketRecv:
    case Io::kSocketSend:
      return CompleteTransfer(r, bytes, error);
    case Io::kRecvMsg:
      return CompleteRecvMsg(r, bytes, error);
    case Io::kSendMsg:
      return Done(error != 0 ? ErrorResult(error) : static_cast<int64_t>(bytes));
    case Io::kAccept:
      return CompleteAccept(r, error, ctx);
    case Io::kConnect:
      if (error == 0) {
        setsockopt(reinterpret_cast<SOCKET>(r.io_handle), SOL_SOCKET, SO_UPDATE_CONNECT_CONTEXT, nullptr, 0);
      }
      return Done(ErrorResult(error));
    case Io::kPoll:
      return CompletePoll(r, error);
  }
  return Done(-LIO_EIO);  // unreachable: every Io is handled above
}

void RunBlocking(Record& r, WorkerThreadScratch& scratch) {
  if (r.worker_cancel.load(std::memory_order_acquire)) {
    r.result = -LIO_ECANCELED;
  } else if (r.code == LIO_OP_OPENAT) {
    r.result = OpenAt(r.handle, r.u.open.path, r.u.open.flags, r.u.open.mode, scratch.paths);
  } else if (r.code == LIO_OP_FSYNC) {
    r.result = Fsync(r.handle, (r.flags & LIO_FSYNC_DATASYNC) != 0);
  } else if (IsFsOp(r.code)) {
    r.result = RunFsOp(r.code, r.flags, r.handle, r.u, scratch);
  } else {
    r.result = BlockingTransfer(r, scratch);
  }
}

}  // namespace lio::iocp
