#include "lio/plugins/chaos/knobs.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace lio::chaos {
namespace {

TEST(ParseRate, AcceptsDecimalProbabilities) {
  double rate = -1;
  for (auto [text, value] : {std::pair{"0", 0.0}, {"1", 1.0}, {"0.25", 0.25}, {".5", 0.5}, {"1.0", 1.0},
                             {"0.001", 0.001}}) {
    ASSERT_TRUE(ParseRate(text, &rate)) << text;
    EXPECT_DOUBLE_EQ(rate, value) << text;
  }
}

TEST(ParseRate, RefusesWhatIsNotAProbability) {
  double rate = 0.5;
  for (const char* text : {"", ".", "1.5", "2", "-0.1", "0.2x", "25%", "0,5", "1e-3"}) {
    EXPECT_FALSE(ParseRate(text, &rate)) << text;
  }
  EXPECT_EQ(rate, 0.5) << "a refused rate leaves the value alone";
}

TEST(SetKnob, EveryKeySets) {
  Knobs k;
  EXPECT_TRUE(SetKnob(&k, "seed", "42"));
  EXPECT_TRUE(SetKnob(&k, "short", "0.5"));
  EXPECT_TRUE(SetKnob(&k, "eintr", "0.1"));
  EXPECT_TRUE(SetKnob(&k, "eagain", "1"));
  EXPECT_TRUE(SetKnob(&k, "delay", "0"));
  EXPECT_TRUE(SetKnob(&k, "delay_max_us", "500"));
  EXPECT_TRUE(SetKnob(&k, "reorder", "0.75"));
  EXPECT_TRUE(SetKnob(&k, "cancel_race", "0.2"));
  EXPECT_TRUE(SetKnob(&k, "cancel_delay_max_us", "7"));
  EXPECT_EQ(k.seed, 42u);
  EXPECT_EQ(k.short_io, 0.5);
  EXPECT_EQ(k.eintr, 0.1);
  EXPECT_EQ(k.eagain, 1.0);
  EXPECT_EQ(k.delay, 0.0);
  EXPECT_EQ(k.delay_max_us, 500u);
  EXPECT_EQ(k.reorder, 0.75);
  EXPECT_EQ(k.cancel_race, 0.2);
  EXPECT_EQ(k.cancel_delay_max_us, 7u);
}

TEST(SetKnob, RefusesUnknownKeysAndBadValues) {
  Knobs k;
  EXPECT_FALSE(SetKnob(&k, "sead", "1"));
  EXPECT_FALSE(SetKnob(&k, "short", "lots"));
  EXPECT_FALSE(SetKnob(&k, "seed", "-1"));
  EXPECT_FALSE(SetKnob(&k, "delay_max_us", "99999999999999"));
  EXPECT_EQ(k.seed, Knobs{}.seed);
}

TEST(Environment, NamesAndPrecedence) {
  EXPECT_EQ(EnvName("delay_max_us"), "LIO_CHAOS_DELAY_MAX_US");
  ::setenv("LIO_CHAOS_SEED", "7", 1);
  ::setenv("LIO_CHAOS_REORDER", "", 1);  // empty: unset
  Knobs k;
  std::string bad;
  ASSERT_TRUE(ApplyEnvironment(&k, &bad)) << bad;
  EXPECT_EQ(k.seed, 7u);
  EXPECT_EQ(k.reorder, Knobs{}.reorder);
  ::setenv("LIO_CHAOS_SHORT", "often", 1);
  EXPECT_FALSE(ApplyEnvironment(&k, &bad));
  EXPECT_EQ(bad, "LIO_CHAOS_SHORT=often");
  ::unsetenv("LIO_CHAOS_SHORT");
  ::unsetenv("LIO_CHAOS_SEED");
  ::unsetenv("LIO_CHAOS_REORDER");
}

}  // namespace
}  // namespace lio::chaos
