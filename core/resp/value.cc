#include "core/resp/value.h"

#include <cstdlib>

#include "core/strutil.h"

namespace shoal::resp {
namespace {

constexpr int kMaxDepth = 128;

// Returns position after CRLF of the line starting at pos, or npos.
size_t LineEnd(std::string_view d, size_t pos) {
  auto nl = d.find("\r\n", pos);
  return nl;
}

ReplyParser::Outcome ParseAt(std::string_view d, size_t* pos, Value* out, int depth) {
  using O = ReplyParser::Outcome;
  if (depth > kMaxDepth) return O::kError;
  if (*pos >= d.size()) return O::kNeedMore;
  char t = d[*pos];
  size_t nl = LineEnd(d, *pos + 1);
  if (nl == std::string_view::npos) return O::kNeedMore;
  std::string_view line = d.substr(*pos + 1, nl - *pos - 1);
  size_t next = nl + 2;
  auto as_int = [&](int64_t* v) {
    if (line == "-1") {
      *v = -1;
      return true;
    }
    auto p = ParseInt64(line);
    if (!p) return false;
    *v = *p;
    return true;
  };
  int64_t n = 0;
  switch (t) {
    case '+':
      out->type = Value::Type::kSimple;
      out->str = line;
      break;
    case '-':
      out->type = Value::Type::kError;
      out->str = line;
      break;
    case ':':
      if (!as_int(&out->integer)) return O::kError;
      out->type = Value::Type::kInteger;
      break;
    case '(':
      out->type = Value::Type::kBigNumber;
      out->str = line;
      break;
    case ',':
      out->type = Value::Type::kDouble;
      out->str = line;
      out->dbl = std::strtod(std::string(line).c_str(), nullptr);
      break;
    case '#':
      out->type = Value::Type::kBool;
      out->integer = line == "t" ? 1 : 0;
      break;
    case '_':
      out->type = Value::Type::kNull;
      break;
    case '$':
    case '=':
    case '!': {
      if (!as_int(&n)) return O::kError;
      if (n < 0) {
        out->type = Value::Type::kNull;
        break;
      }
      if (d.size() < next + static_cast<size_t>(n) + 2) return O::kNeedMore;
      std::string_view body = d.substr(next, static_cast<size_t>(n));
      if (t == '=') {
        out->type = Value::Type::kVerbatim;
        out->str = body.size() >= 4 ? body.substr(4) : body;
      } else {
        out->type = t == '!' ? Value::Type::kError : Value::Type::kBulk;
        out->str = body;
      }
      next += static_cast<size_t>(n) + 2;
      break;
    }
    case '*':
    case '%':
    case '~':
    case '>':
    case '|': {
      if (!as_int(&n)) return O::kError;
      if (n < 0) {
        out->type = Value::Type::kNull;
        break;
      }
      // No real reply has this many elements; refusing it also keeps the
      // doubling below from overflowing.
      if (n > (int64_t{1} << 32)) return O::kError;
      int64_t count = (t == '%' || t == '|') ? n * 2 : n;
      out->type = t == '*'   ? Value::Type::kArray
                  : t == '~' ? Value::Type::kSet
                  : t == '>' ? Value::Type::kPush
                             : Value::Type::kMap;
      out->elements.clear();
      for (int64_t i = 0; i < count; ++i) {
        Value v;
        auto r = ParseAt(d, &next, &v, depth + 1);
        if (r != O::kValue) return r;
        out->elements.push_back(std::move(v));
      }
      if (t == '|') {
        // An attribute precedes the real reply; skip it.
        *pos = next;
        out->elements.clear();
        return ParseAt(d, pos, out, depth + 1);
      }
      break;
    }
    default:
      return O::kError;
  }
  *pos = next;
  return O::kValue;
}

void Append(const Value& v, std::string* s) {
  switch (v.type) {
    case Value::Type::kNull:
      s->append("(nil)");
      return;
    case Value::Type::kInteger:
    case Value::Type::kBool:
      s->append(std::to_string(v.integer));
      return;
    case Value::Type::kError:
      s->append("(error) " + v.str);
      return;
    case Value::Type::kArray:
    case Value::Type::kMap:
    case Value::Type::kSet:
    case Value::Type::kPush: {
      s->push_back('[');
      for (size_t i = 0; i < v.elements.size(); ++i) {
        if (i) s->append(", ");
        Append(v.elements[i], s);
      }
      s->push_back(']');
      return;
    }
    default:
      s->append("\"" + v.str + "\"");
  }
}

}  // namespace

std::string Value::ToString() const {
  std::string s;
  Append(*this, &s);
  return s;
}

ReplyParser::Outcome ReplyParser::Parse(std::string_view data, Value* out, size_t* consumed) {
  size_t pos = 0;
  auto r = ParseAt(data, &pos, out, 0);
  if (r == Outcome::kValue) *consumed = pos;
  return r;
}

}  // namespace shoal::resp
