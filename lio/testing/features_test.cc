// ABI 1.1's declarations beside the op codes: the vtable's `features`, its
// `native_ops`, and push's answer to a flag of a feature not declared.
#include <chrono>
#include <cstdint>

#include "lio/core/op.h"
#include "lio/testing/conformance_test.h"

namespace lio::testing {
namespace {

using std::chrono::milliseconds;

// The vtable's own 1.1 members, or nullptr when its struct_size stops
// before them (a 1.0 plugin declares no feature and says nothing of native ops).
template <class Member>
const Member* VtableMember(const lio_backend_vtable* vtable, const Member lio_backend_vtable::*member) {
  const auto offset = reinterpret_cast<size_t>(&(static_cast<const lio_backend_vtable*>(nullptr)->*member));
  if (vtable->struct_size < offset + sizeof(Member)) return nullptr;
  return &(vtable->*member);
}

class FeaturesTest : public ConformanceTest {};
LIO_INSTANTIATE_CONFORMANCE_SUITE(FeaturesTest);

// [register.features]: only defined bits, and a declared feature's calls exist.
LIO_CONFORMANCE_CASE(FeaturesTest, register_features, OnlyDefinedFeaturesWithTheirCalls) {
  const lio_backend_vtable* vt = info().vtable;
  const uint64_t* features = VtableMember(vt, &lio_backend_vtable::features);
  if (features == nullptr) GTEST_SKIP() << "a 1.0 vtable (" << vt->struct_size << " bytes): no features";
  EXPECT_EQ(*features & ~uint64_t{LIO_FEATURE_ALL}, 0u) << "undefined feature bits 0x" << std::hex << *features;
  if (*features & LIO_FEATURE_FIXED_FILES) EXPECT_NE(vt->register_files, nullptr);
  if (*features & LIO_FEATURE_FIXED_BUFFERS) EXPECT_NE(vt->register_buffers, nullptr);
  if (*features & LIO_FEATURE_BUFFER_GROUPS) {
    EXPECT_NE(vt->add_buffer_group, nullptr);
    EXPECT_NE(vt->return_buffer, nullptr);
    EXPECT_NE(vt->remove_buffer_group, nullptr);
  }
}

// [register.native_ops]: a subset of the declared codes, the same every call.
LIO_CONFORMANCE_CASE(FeaturesTest, register_native_ops, NativeOpsAreDeclaredCodesAndStable) {
  const lio_backend_vtable* vt = info().vtable;
  auto* const* native_ops = VtableMember(vt, &lio_backend_vtable::native_ops);
  if (native_ops == nullptr || *native_ops == nullptr) GTEST_SKIP() << "the backend does not say which ops are native";
  const uint64_t first = (*native_ops)();
  const uint64_t second = (*native_ops)();
  EXPECT_EQ(first, second) << "native_ops answers the same every time";
  const uint64_t declared = vt->capabilities & LIO_CAP_ALL_OPS;
  EXPECT_EQ(first & ~declared, 0u) << "native_ops names codes the backend does not declare: 0x" << std::hex
                                   << (first & ~declared);
}

// [push.undeclared_feature]: the flag of a feature the backend lacks is
// refused at push with -EOPNOTSUPP, not run as if it were absent.
LIO_CONFORMANCE_CASE(FeaturesTest, push_undeclared_feature, FlagsOfUndeclaredFeaturesAreEopnotsupp) {
  LIO_REQUIRE_OPS(LIO_OP_NOP);
  bool any = false;
  if (!info().has_feature(LIO_FEATURE_LINK)) {
    any = true;
    Op op = Op::Nop();
    op.flags = LIO_OPF_LINK;
    EXPECT_EQ(Push(NextId(), op), -LIO_EOPNOTSUPP) << "nop with LIO_OPF_LINK";
  }
  if (!info().has_feature(LIO_FEATURE_FIXED_FILES) && declares(LIO_OP_READ)) {
    any = true;
    Op op = Op::Read(0, Buffer(8).data(), 8, 0);
    op.flags = LIO_OPF_FIXED_FILE;
    EXPECT_EQ(Push(NextId(), op), -LIO_EOPNOTSUPP) << "read with LIO_OPF_FIXED_FILE";
  }
  if (!info().has_feature(LIO_FEATURE_BUFFER_GROUPS) && declares(LIO_OP_RECV)) {
    any = true;
    Op op = Op::Recv(0, nullptr, 64, 0);
    op.flags = LIO_RECV_BUFFER_SELECT;
    EXPECT_EQ(Push(NextId(), op), -LIO_EOPNOTSUPP) << "recv with LIO_RECV_BUFFER_SELECT";
  }
  if (!any) GTEST_SKIP() << "the backend declares every feature with a flag";
  EXPECT_TRUE(ReapFor(milliseconds(50)).empty()) << "a refused push completes nothing";
}

}  // namespace
}  // namespace lio::testing
