#include "core/resp/writer.h"

#include <charconv>

#include "core/strutil.h"

namespace shoal::resp {

void Writer::Header(char prefix, int64_t n) {
  char buf[24];
  buf[0] = prefix;
  auto [end, ec] = std::to_chars(buf + 1, buf + sizeof(buf) - 2, n);
  (void)ec;
  *end++ = '\r';
  *end++ = '\n';
  out_->append(buf, static_cast<size_t>(end - buf));
}

void Writer::Simple(std::string_view s) {
  out_->push_back('+');
  size_t start = out_->size();
  out_->append(s);
  for (size_t i = start; i < out_->size(); ++i) {
    if ((*out_)[i] == '\r' || (*out_)[i] == '\n') (*out_)[i] = ' ';
  }
  out_->append("\r\n");
}

void Writer::Error(std::string_view msg) {
  out_->push_back('-');
  size_t start = out_->size();
  out_->append(msg);
  for (size_t i = start; i < out_->size(); ++i) {
    if ((*out_)[i] == '\r' || (*out_)[i] == '\n') (*out_)[i] = ' ';
  }
  out_->append("\r\n");
}

void Writer::Integer(int64_t v) { Header(':', v); }

void Writer::Bulk(std::string_view s) {
  Header('$', static_cast<int64_t>(s.size()));
  out_->append(s);
  out_->append("\r\n");
}

void Writer::Null() { out_->append(resp3() ? "_\r\n" : "$-1\r\n"); }

void Writer::NullArray() { out_->append(resp3() ? "_\r\n" : "*-1\r\n"); }

void Writer::ArrayHeader(int64_t n) { Header('*', n); }

void Writer::MapHeader(int64_t n) {
  if (resp3()) {
    Header('%', n);
  } else {
    Header('*', n * 2);
  }
}

void Writer::SetHeader(int64_t n) { Header(resp3() ? '~' : '*', n); }

void Writer::PushHeader(int64_t n) { Header(resp3() ? '>' : '*', n); }

void Writer::Double(double v) {
  std::string s = FormatDouble(v);
  if (resp3()) {
    out_->push_back(',');
    out_->append(s);
    out_->append("\r\n");
  } else {
    Bulk(s);
  }
}

void Writer::Bool(bool v) {
  if (resp3()) {
    out_->append(v ? "#t\r\n" : "#f\r\n");
  } else {
    Integer(v ? 1 : 0);
  }
}

void Writer::BigNumber(std::string_view digits) {
  if (resp3()) {
    out_->push_back('(');
    out_->append(digits);
    out_->append("\r\n");
  } else {
    Bulk(digits);
  }
}

void Writer::Verbatim(std::string_view format, std::string_view s) {
  if (resp3()) {
    Header('=', static_cast<int64_t>(s.size() + 4));
    std::string fmt(format.substr(0, 3));
    fmt.resize(3, ' ');
    out_->append(fmt);
    out_->push_back(':');
    out_->append(s);
    out_->append("\r\n");
  } else {
    Bulk(s);
  }
}

}  // namespace shoal::resp
