// What a backend says about itself: its vtable (name, description,
// capabilities, ABI version), its probe, and the options create accepts.
#include <string_view>

#include "lio/testing/conformance_test.h"

namespace lio::testing {
namespace {

class CapabilityTest : public ClauseTest {};
LIO_INSTANTIATE_CONFORMANCE_SUITE(CapabilityTest);

bool IsBackendName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    bool allowed = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == ':';
    if (!allowed) return false;
  }
  return true;
}

LIO_CONFORMANCE_CASE(CapabilityTest, capability_declared, NameIsLowercaseIdentifier) {
  EXPECT_TRUE(IsBackendName(info().name)) << "name \"" << info().name << "\" is not [a-z0-9_:]+";
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

}  // namespace
}  // namespace lio::testing
