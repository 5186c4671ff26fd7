#include "tools/cli/json.h"

#include <cstdio>

namespace lio::cli {

void Json::BeforeValue() {
  if (!after_key_ && need_comma_) out_ += ',';
  after_key_ = false;
}

void Json::Quoted(std::string_view s) {
  out_ += '"';
  for (char c : s) {
    switch (c) {
      case '"': out_ += "\\\""; break;
      case '\\': out_ += "\\\\"; break;
      case '\n': out_ += "\\n"; break;
      case '\t': out_ += "\\t"; break;
      case '\r': out_ += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out_ += buf;
        } else {
          out_ += c;
        }
    }
  }
  out_ += '"';
}

Json& Json::Open(char c) {
  BeforeValue();
  out_ += c;
  need_comma_ = false;
  return *this;
}

Json& Json::Close(char c) {
  out_ += c;
  need_comma_ = true;
  return *this;
}

Json& Json::Key(std::string_view key) {
  if (need_comma_) out_ += ',';
  Quoted(key);
  out_ += ':';
  after_key_ = true;
  return *this;
}

Json& Json::String(std::string_view s) {
  BeforeValue();
  Quoted(s);
  need_comma_ = true;
  return *this;
}

Json& Json::Number(int64_t n) {
  BeforeValue();
  out_ += std::to_string(n);
  need_comma_ = true;
  return *this;
}

Json& Json::Bool(bool b) {
  BeforeValue();
  out_ += b ? "true" : "false";
  need_comma_ = true;
  return *this;
}

Json& Json::Strings(const std::vector<std::string>& items) {
  BeginArray();
  for (const std::string& s : items) String(s);
  return EndArray();
}

}  // namespace lio::cli
