// What a backend says about itself: its vtable (name, description,
// capabilities, ABI version), its probe, and the options create accepts.
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "lio/testing/conformance_test.h"

namespace lio::testing {
namespace {

class CapabilityTest : public ClauseTest {};
LIO_INSTANTIATE_CONFORMANCE_SUITE(CapabilityTest);

// [register.name]: the header's own rule (lio_backend_name_valid), the one
// the host applies too.
LIO_CONFORMANCE_CASE(CapabilityTest, capability_declared, NameFollowsTheHeadersRule) {
  EXPECT_TRUE(lio_backend_name_valid(info().name.c_str()))
      << "name \"" << info().name << "\" breaks plugin_abi.h's rule: 1 to " << LIO_BACKEND_NAME_MAX
      << " of a-z, 0-9, '_', '-', ':', beginning with a letter or digit, not \"auto\"";
}

LIO_CONFORMANCE_CASE(CapabilityTest, capability_declared, DescriptionIsOneLine) {
  EXPECT_FALSE(info().description.empty()) << "`lio backends` shows an empty description";
  EXPECT_EQ(info().description.find('\n'), std::string::npos) << "description: " << info().description;
}

LIO_CONFORMANCE_CASE(CapabilityTest, capability_declared, OnlyRealOpCodesDeclared) {
  EXPECT_EQ(info().capabilities & ~LIO_CAP_ALL_OPS, 0u)
      << "capability bits beyond LIO_OP_COUNT: 0x" << std::hex << (info().capabilities & ~LIO_CAP_ALL_OPS);
}

LIO_CONFORMANCE_CASE(CapabilityTest, capability_declared, AbiMajorMatchesHost) {
  EXPECT_EQ(LIO_ABI_MAJOR(info().abi_version), static_cast<uint32_t>(LIO_ABI_VERSION_MAJOR));
}

LIO_CONFORMANCE_CASE(CapabilityTest, probe_explains_refusal, ProbeIsStableAndExplained) {
  ProbeResult first = Backend::Probe(info());
  ProbeResult second = Backend::Probe(info());
  EXPECT_EQ(first.code, second.code) << "probe has no side effects and answers the same";
  EXPECT_LE(first.code, 0);
  if (!first.ok()) {
    EXPECT_FALSE(first.why.empty()) << "probe refused (" << first.code << ") without saying why";
  }
}

class ConfigTest : public ConformanceTest {};
LIO_INSTANTIATE_CONFORMANCE_SUITE(ConfigTest);

LIO_CONFORMANCE_CASE(ConfigTest, config_validated, UnknownOptionIsEinval) {
  auto created = Backend::Create(info(), {.capacity = 8, .options = "lio_conformance_no_such_option=1"});
  ASSERT_FALSE(created.has_value()) << "an unknown option key must be refused, so typos are caught";
  EXPECT_EQ(created.error().code.value(), LIO_EINVAL) << created.error().message;
}

LIO_CONFORMANCE_CASE(ConfigTest, config_validated, MalformedOptionIsEinval) {
  auto created = Backend::Create(info(), {.capacity = 8, .options = "no_equals_sign"});
  ASSERT_FALSE(created.has_value()) << "\"key=value,...\" without '=' must be refused";
  EXPECT_EQ(created.error().code.value(), LIO_EINVAL) << created.error().message;
}

LIO_CONFORMANCE_CASE(ConfigTest, config_validated, EmptyOptionsAreAccepted) {
  auto created = Backend::Create(info(), {.capacity = 8, .options = ""});
  EXPECT_TRUE(created.has_value()) << created.error().message;
}

// create called straight through the vtable with `config`: its answer (an
// instance it made is destroyed again).
int CreateRaw(const BackendInfo& info, const lio_backend_config* config) {
  lio_backend* made = nullptr;
  int rc = info.vtable->create(config, &made);
  if (rc == 0 && made != nullptr) info.vtable->destroy(made);
  return rc;
}

lio_backend_config ConfigOf(uint32_t capacity, const char* options) {
  lio_backend_config config{};
  config.struct_size = sizeof config;
  config.abi_version = LIO_ABI_VERSION;
  config.capacity = capacity;
  config.options = options;
  return config;
}

constexpr uint32_t kSizeThroughCapacity =
    offsetof(lio_backend_config, capacity) + sizeof(lio_backend_config::capacity);

// [create.config_read]: an older, shorter config that still holds `capacity`
// is read up to its struct_size; the fields it lacks — options among them —
// are NULL, so what lies past its end is never read.
LIO_CONFORMANCE_CASE(ConfigTest, config_validated, ConfigThroughCapacityIsReadNoFurther) {
  lio_backend_config config = ConfigOf(8, "lio_conformance_past_struct_size=1");
  config.struct_size = kSizeThroughCapacity;
  EXPECT_EQ(CreateRaw(info(), &config), 0) << "the options lie past struct_size: they are not there";
}

LIO_CONFORMANCE_CASE(ConfigTest, config_validated, ConfigTooShortForCapacityIsEinval) {
  lio_backend_config config = ConfigOf(8, nullptr);
  for (uint32_t size : {0u, static_cast<uint32_t>(offsetof(lio_backend_config, capacity)), kSizeThroughCapacity - 1}) {
    config.struct_size = size;
    EXPECT_EQ(CreateRaw(info(), &config), -LIO_EINVAL) << "struct_size " << size << " does not reach capacity";
  }
}

LIO_CONFORMANCE_CASE(ConfigTest, config_validated, ConfigOfAnotherMajorIsEinval) {
  lio_backend_config config = ConfigOf(8, nullptr);
  config.abi_version = (LIO_ABI_VERSION_MAJOR + 1u) << 16;
  EXPECT_EQ(CreateRaw(info(), &config), -LIO_EINVAL);
  EXPECT_EQ(CreateRaw(info(), nullptr), -LIO_EINVAL) << "a NULL config";
}

// [create.capacity_zero]: room for no operation is no backend.
LIO_CONFORMANCE_CASE(ConfigTest, config_validated, CapacityZeroIsEinval) {
  lio_backend_config config = ConfigOf(0, nullptr);
  EXPECT_EQ(CreateRaw(info(), &config), -LIO_EINVAL);
}

// [create.config_read]: flag bits a backend does not know are hints or
// promises of a later minor version, not errors.
LIO_CONFORMANCE_CASE(ConfigTest, config_validated, UnknownConfigFlagsAreIgnored) {
  lio_backend_config config = ConfigOf(8, nullptr);
  config.flags = 0x80000000u;
  EXPECT_EQ(CreateRaw(info(), &config), 0);
}

// Every declared op is accepted at push and implemented: pushed well-formed
// (on harmless targets), none is refused with -EOPNOTSUPP or completes with
// -ENOSYS / -EOPNOTSUPP.
class DeclaredOpsTest : public ConformanceTest {
 protected:
  // A well-formed op of `code` whose completion harms nothing.
  Op HarmlessOp(uint32_t code) {
    if (!file_) {
      file_ = OpenOwned(WriteFile("declared", "declared ops"), platform::Access::kReadWrite);
      pair_ = OwnedTcpPair();
      listener_ = OwnedListener();
      udp_ = OwnedUdpSocket();
      buf_ = Buffer(16);
      iov_ = &Keep<lio_iovec>(lio_iovec{buf_.data(), buf_.size()});
      msg_ = &Keep<lio_msghdr>(lio_msghdr{&udp_.address, sizeof udp_.address, 1, iov_, nullptr, 0, 0, 0});
      nobody_ = &Keep<sockaddr_in>(LoopbackAddress(UnusedLoopbackPort()));
      path_ = Keep<std::string>((TempPath() / "declared").string()).c_str();
    }
    switch (code) {
      case LIO_OP_NOP: return Op::Nop();
      case LIO_OP_READ: return Op::Read(*file_, buf_.data(), buf_.size(), 0);
      case LIO_OP_WRITE: return Op::Write(*file_, "x", 1, 100);
      case LIO_OP_READV: return Op::Readv(*file_, iov_, 1, 0);
      case LIO_OP_WRITEV: return Op::Writev(*file_, iov_, 1, 200);
      case LIO_OP_FSYNC: return Op::Fsync(*file_);
      case LIO_OP_OPENAT: return Op::Openat(LIO_AT_FDCWD, path_, LIO_OPEN_RDONLY);
      case LIO_OP_CLOSE: return Op::Close(platform::KnownClosedHandle());
      case LIO_OP_SOCKET: return Op::Socket(AF_INET, SOCK_DGRAM, 0);
      case LIO_OP_ACCEPT: {
        int64_t client = platform::Socket(AF_INET, SOCK_STREAM, 0);
        if (client >= 0) {
          Own(static_cast<lio_handle>(client));
          platform::Connect(client, AsSockaddr(listener_.address), sizeof listener_.address);
        }
        return Op::Accept(listener_.handle);
      }
      case LIO_OP_CONNECT: return Op::Connect(Own(platform::Socket(AF_INET, SOCK_STREAM, 0)), nobody_, sizeof *nobody_);
      case LIO_OP_SEND: return Op::Send(pair_.tested, "x", 1);
      case LIO_OP_RECV:
        platform::Send(pair_.peer, "y", 1, 0);
        return Op::Recv(pair_.tested, buf_.data(), buf_.size());
      case LIO_OP_SENDMSG: return Op::Sendmsg(udp_.handle, msg_);
      case LIO_OP_RECVMSG:  // receives the datagram the socket sent itself
        if (!declares(LIO_OP_SENDMSG)) platform::Sendmsg(udp_.handle, msg_, 0);
        return Op::Recvmsg(udp_.handle, msg_);
      case LIO_OP_SHUTDOWN: return Op::Shutdown(pair_.tested, 2);
      case LIO_OP_TIMEOUT: return Op::Timeout(0);
      case LIO_OP_POLL: return Op::Poll(pair_.tested, LIO_POLL_OUT);
      default: return Op::Nop();
    }
  }

 private:
  std::optional<lio_handle> file_;
  TcpPair pair_;
  Listener listener_;
  UdpSocket udp_;
  std::span<char> buf_;
  lio_iovec* iov_ = nullptr;
  lio_msghdr* msg_ = nullptr;
  sockaddr_in* nobody_ = nullptr;
  const char* path_ = nullptr;
};
LIO_INSTANTIATE_CONFORMANCE_SUITE(DeclaredOpsTest);

LIO_CONFORMANCE_CASE(DeclaredOpsTest, capability_declared, DeclaredOpsAreImplemented) {
  for (uint32_t code = 0; code < LIO_OP_COUNT; ++code) {
    if (!declares(code)) continue;
    uint64_t id = NextId();
    Result pushed = Push(id, HarmlessOp(code));
    ASSERT_NE(pushed, -LIO_EOPNOTSUPP) << "declared op " << op_name(code) << " refused as unsupported";
    EXPECT_EQ(pushed, 0) << "well-formed " << op_name(code);
    if (pushed != 0) continue;
    Flush();
    Result result = WaitForId(id);
    EXPECT_NE(result, -LIO_ENOSYS) << "declared op " << op_name(code) << " is not implemented";
    EXPECT_NE(result, -LIO_EOPNOTSUPP) << "declared op " << op_name(code) << " is not implemented";
    if ((code == LIO_OP_OPENAT || code == LIO_OP_SOCKET || code == LIO_OP_ACCEPT) && result >= 0) Own(result);
  }
}

}  // namespace
}  // namespace lio::testing
