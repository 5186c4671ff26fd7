// Json: a small writer for the CLI's --json output (objects, arrays, strings,
// numbers, booleans), with commas and escaping handled.
#ifndef LIO_TOOLS_CLI_JSON_H_
#define LIO_TOOLS_CLI_JSON_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lio::cli {

class Json {
 public:
  Json& BeginObject() { return Open('{'); }
  Json& EndObject() { return Close('}'); }
  Json& BeginArray() { return Open('['); }
  Json& EndArray() { return Close(']'); }
  // The key of the next value in an object.
  Json& Key(std::string_view key);
  Json& String(std::string_view s);
  Json& Number(int64_t n);
  Json& Bool(bool b);
  Json& Strings(const std::vector<std::string>& items);

  const std::string& str() const { return out_; }

 private:
  Json& Open(char c);
  Json& Close(char c);
  void BeforeValue();
  void Quoted(std::string_view s);

  std::string out_;
  bool need_comma_ = false;
  bool after_key_ = false;
};

}  // namespace lio::cli

#endif  // LIO_TOOLS_CLI_JSON_H_
