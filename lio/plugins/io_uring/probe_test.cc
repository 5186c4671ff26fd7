// Every verdict probe can reach, from facts no test machine has to produce.
#include "lio/plugins/io_uring/probe.h"

#include <errno.h>
#include <stdlib.h>

#include <gtest/gtest.h>

#include <string>

#include "lio/core/plugin_abi.h"

namespace lio::io_uring_plugin {
namespace {

ProbeFacts Facts() {
  ProbeFacts facts;
  facts.opcode_list = true;
  std::snprintf(facts.release, sizeof facts.release, "5.10.0-test");
  return facts;
}

std::string Why(const ProbeFacts& facts, int* code) {
  char why[512] = "unset";
  *code = explain(facts, why, sizeof why);
  return why;
}

TEST(ProbeExplain, HealthyKernelPasses) {
  int code = 1;
  EXPECT_EQ(Why(Facts(), &code), "");
  EXPECT_EQ(code, 0);
}

TEST(ProbeExplain, ForcedFailureNamesTheVariable) {
  ProbeFacts facts = Facts();
  facts.forced_failure = true;
  int code = 0;
  std::string why = Why(facts, &code);
  EXPECT_EQ(code, -LIO_ENOSYS);
  EXPECT_NE(why.find("LIO_IO_URING_FORCE_PROBE_FAILURE"), std::string::npos) << why;
}

TEST(ProbeExplain, SysctlTwoDisables) {
  ProbeFacts facts = Facts();
  facts.disabled_sysctl = 2;
  int code = 0;
  std::string why = Why(facts, &code);
  EXPECT_EQ(code, -LIO_EPERM);
  EXPECT_NE(why.find("kernel.io_uring_disabled=2"), std::string::npos) << why;
}

TEST(ProbeExplain, SysctlOneAndEpermBlamesTheSysctl) {
  ProbeFacts facts = Facts();
  facts.disabled_sysctl = 1;
  facts.setup_error = -EPERM;
  int code = 0;
  std::string why = Why(facts, &code);
  EXPECT_EQ(code, -LIO_EPERM);
  EXPECT_NE(why.find("kernel.io_uring_disabled=1"), std::string::npos) << why;
  EXPECT_NE(why.find("io_uring_group"), std::string::npos) << why;
}

TEST(ProbeExplain, EpermWithoutSysctlBlamesSeccomp) {
  ProbeFacts facts = Facts();
  facts.disabled_sysctl = 0;
  facts.setup_error = -EPERM;
  int code = 0;
  std::string why = Why(facts, &code);
  EXPECT_EQ(code, -LIO_EPERM);
  EXPECT_NE(why.find("seccomp"), std::string::npos) << why;
}

TEST(ProbeExplain, EnosysNamesKernelAndSeccomp) {
  ProbeFacts facts = Facts();
  facts.setup_error = -ENOSYS;
  int code = 0;
  std::string why = Why(facts, &code);
  EXPECT_EQ(code, -LIO_ENOSYS);
  EXPECT_NE(why.find("5.10.0-test"), std::string::npos) << why;
  EXPECT_NE(why.find("seccomp"), std::string::npos) << why;
}

TEST(ProbeExplain, OtherSetupErrorsPassThrough) {
  ProbeFacts facts = Facts();
  facts.setup_error = -EMFILE;
  int code = 0;
  std::string why = Why(facts, &code);
  EXPECT_EQ(code, -LIO_EMFILE);
  EXPECT_NE(why.find("errno 24"), std::string::npos) << why;
}

TEST(ProbeExplain, KernelWithoutOpcodeListIsTooOld) {
  ProbeFacts facts = Facts();
  facts.opcode_list = false;
  int code = 0;
  std::string why = Why(facts, &code);
  EXPECT_EQ(code, -LIO_ENOSYS);
  EXPECT_NE(why.find("too old"), std::string::npos) << why;
  EXPECT_NE(why.find("5.10.0-test"), std::string::npos) << why;
}

TEST(ProbeExplain, MissingOpcodeIsNamedWithTheRelease) {
  ProbeFacts facts = Facts();
  facts.missing_op = "IORING_OP_SOCKET";
  facts.missing_since = "5.19";
  int code = 0;
  std::string why = Why(facts, &code);
  EXPECT_EQ(code, -LIO_ENOSYS);
  EXPECT_NE(why.find("IORING_OP_SOCKET"), std::string::npos) << why;
  EXPECT_NE(why.find("5.10.0-test"), std::string::npos) << why;
  EXPECT_NE(why.find("5.19"), std::string::npos) << why;
}

TEST(ProbeExplain, WhyIsTruncatedAndTerminated) {
  ProbeFacts facts = Facts();
  facts.forced_failure = true;
  char why[8];
  EXPECT_EQ(explain(facts, why, sizeof why), -LIO_ENOSYS);
  EXPECT_EQ(why[7], '\0');
  EXPECT_EQ(explain(facts, nullptr, 0), -LIO_ENOSYS);
}

TEST(ProbeGather, ThisMachinePasses) {
  unsetenv(kForceProbeFailureEnv);
  ProbeFacts facts = gather_probe_facts();
  char why[512] = "";
  EXPECT_EQ(explain(facts, why, sizeof why), 0) << why;
  EXPECT_NE(facts.release[0], '\0');
}

}  // namespace
}  // namespace lio::io_uring_plugin
