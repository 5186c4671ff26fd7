#include "tools/cli/json.h"

#include "gtest/gtest.h"

namespace lio::cli {
namespace {

TEST(JsonTest, NestsWithCommas) {
  Json j;
  j.BeginObject().Key("a").Number(1).Key("b").BeginArray().String("x").Bool(true).EndArray();
  j.Key("c").BeginObject().EndObject().Key("d").Strings({"p", "q"}).EndObject();
  EXPECT_EQ(j.str(), R"({"a":1,"b":["x",true],"c":{},"d":["p","q"]})");
}

TEST(JsonTest, EscapesStrings) {
  Json j;
  j.String("say \"hi\"\\\n\x01");
  EXPECT_EQ(j.str(), R"("say \"hi\"\\\n\u0001")");
}

}  // namespace
}  // namespace lio::cli
