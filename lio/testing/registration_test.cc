// lio_plugin_register, called again by the suite with registrars that are
// wrong: each is refused with -EINVAL and nothing is registered. (The host
// always passes a good one; these are what a newer or older host, or a
// broken one, could pass.) [register.registrar_checked]
#include <cstddef>
#include <vector>

#include "lio/testing/conformance_test.h"

namespace lio::testing {
namespace {

class RegistrationTest : public ClauseTest {
 protected:
  void SetUp() override {
    ClauseTest::SetUp();
    entry_ = platform::PluginRegisterFunction(info().plugin_path);
    ASSERT_NE(entry_, nullptr) << "lio_plugin_register of " << info().plugin_path << " not found";
  }

  // Calls the plugin's lio_plugin_register with `registrar` (whose context
  // is this fixture): its answer. Every register_backend call is recorded.
  int Register(lio_registrar registrar) {
    registrar.context = this;
    return entry_(&registrar);
  }

  static lio_registrar Recording() {
    lio_registrar r{};
    r.struct_size = sizeof r;
    r.abi_version = LIO_ABI_VERSION;
    r.register_backend = [](void* context, const lio_backend_vtable* vtable) {
      static_cast<RegistrationTest*>(context)->registered_.push_back(vtable);
      return 0;
    };
    return r;
  }

  lio_plugin_register_fn entry_ = nullptr;
  std::vector<const lio_backend_vtable*> registered_;
};
LIO_INSTANTIATE_CONFORMANCE_SUITE(RegistrationTest);

LIO_CONFORMANCE_CASE(RegistrationTest, registration_checked, RegistrarTooShortIsRefused) {
  lio_registrar r = Recording();
  for (uint32_t size : {0u, static_cast<uint32_t>(offsetof(lio_registrar, register_backend))}) {
    r.struct_size = size;
    EXPECT_EQ(Register(r), -LIO_EINVAL) << "registrar of " << size << " bytes has no register_backend";
  }
  EXPECT_TRUE(registered_.empty()) << "a backend was registered through a registrar too short to hold the call";
}

LIO_CONFORMANCE_CASE(RegistrationTest, registration_checked, RegistrarOfAnotherMajorIsRefused) {
  lio_registrar r = Recording();
  r.abi_version = (LIO_ABI_VERSION_MAJOR + 1u) << 16;
  EXPECT_EQ(Register(r), -LIO_EINVAL);
  EXPECT_TRUE(registered_.empty());
}

LIO_CONFORMANCE_CASE(RegistrationTest, registration_checked, RegistrarWithoutRegisterBackendIsRefused) {
  lio_registrar r = Recording();
  r.register_backend = nullptr;
  EXPECT_EQ(Register(r), -LIO_EINVAL);
}

}  // namespace
}  // namespace lio::testing
