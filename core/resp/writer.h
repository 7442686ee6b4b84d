// Appends RESP2 or RESP3 replies to a byte buffer. The same calls produce
// the right bytes for either protocol: maps become flat arrays in RESP2,
// doubles become bulk strings, null becomes $-1 or *-1, and so on.
// Not thread-safe; one writer per connection.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace shoal::resp {

enum class Protocol : uint8_t { kResp2 = 2, kResp3 = 3 };

class Writer {
 public:
  explicit Writer(std::string* out, Protocol proto = Protocol::kResp2) : out_(out), proto_(proto) {}

  Protocol protocol() const { return proto_; }
  void set_protocol(Protocol p) { proto_ = p; }
  bool resp3() const { return proto_ == Protocol::kResp3; }
  std::string* buffer() { return out_; }

  void Ok() { out_->append("+OK\r\n"); }
  void Simple(std::string_view s);
  // msg is the whole error line without '-', e.g. "ERR syntax error".
  // CR/LF inside it are replaced by spaces so the reply stays one line.
  void Error(std::string_view msg);
  void Integer(int64_t v);
  void Bulk(std::string_view s);
  // The "no value" reply of GET (RESP2 $-1, RESP3 _).
  void Null();
  // The "no array" reply (RESP2 *-1, RESP3 _).
  void NullArray();
  void ArrayHeader(int64_t n);
  // RESP3 map of n pairs; RESP2 gets an array of 2n elements.
  void MapHeader(int64_t n);
  // RESP3 set; RESP2 array.
  void SetHeader(int64_t n);
  // RESP3 push; RESP2 array.
  void PushHeader(int64_t n);
  void Double(double v);
  void Bool(bool v);
  void BigNumber(std::string_view digits);
  // RESP3 verbatim string with a 3-letter format ("txt"); RESP2 bulk.
  void Verbatim(std::string_view format, std::string_view s);

  // Convenience: an array of bulk strings.
  template <typename Range>
  void BulkArray(const Range& items) {
    ArrayHeader(static_cast<int64_t>(std::size(items)));
    for (const auto& s : items) Bulk(s);
  }

 private:
  void Header(char prefix, int64_t n);
  std::string* out_;
  Protocol proto_;
};

}  // namespace shoal::resp
