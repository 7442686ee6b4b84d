#include "server/commands/command_docs.h"

#include <cctype>
#include <string>
#include <vector>

#include "core/check.h"

namespace shoal::server {
namespace {

struct SyntaxEntry {
  std::string_view name;
  std::string_view syntax;
};

// Written from the commands' documented syntax.
constexpr SyntaxEntry kSyntax[] = {
    // strings
    {"get", "key"},
    {"set",
     "key value (NX|XX)? GET? (EX:seconds|PX:milliseconds|EXAT:unix-time-seconds|"
     "PXAT:unix-time-milliseconds|KEEPTTL)?"},
    {"setnx", "key value"},
    {"setex", "key seconds value"},
    {"psetex", "key milliseconds value"},
    {"getset", "key value"},
    {"getdel", "key"},
    {"getex",
     "key (EX:seconds|PX:milliseconds|EXAT:unix-time-seconds|PXAT:unix-time-milliseconds|"
     "PERSIST)?"},
    {"mget", "key+"},
    {"mset", "{key value}+"},
    {"msetnx", "{key value}+"},
    {"incr", "key"},
    {"decr", "key"},
    {"incrby", "key increment"},
    {"decrby", "key decrement"},
    {"incrbyfloat", "key increment=double"},
    {"append", "key value"},
    {"strlen", "key"},
    {"getrange", "key start end"},
    {"setrange", "key offset value"},
    {"setbit", "key offset value=integer"},
    {"getbit", "key offset"},
    {"bitcount", "key {start end (BYTE|BIT)?}?"},
    {"bitpos", "key bit {start {end (BYTE|BIT)?}?}?"},
    // keys
    {"del", "key+"},
    {"unlink", "key+"},
    {"exists", "key+"},
    {"touch", "key+"},
    {"type", "key"},
    {"expire", "key seconds (NX|XX|GT|LT)?"},
    {"pexpire", "key milliseconds (NX|XX|GT|LT)?"},
    {"expireat", "key unix-time-seconds (NX|XX|GT|LT)?"},
    {"pexpireat", "key unix-time-milliseconds (NX|XX|GT|LT)?"},
    {"ttl", "key"},
    {"pttl", "key"},
    {"expiretime", "key"},
    {"pexpiretime", "key"},
    {"persist", "key"},
    {"rename", "key newkey=key"},
    {"renamenx", "key newkey=key"},
    {"copy", "source=key destination=key DB:destination-db? REPLACE?"},
    {"keys", "pattern"},
    {"scan", "cursor MATCH:pattern? COUNT:count? TYPE:type?"},
    {"randomkey", ""},
    {"object|encoding", "key"},
    {"object|freq", "key"},
    {"object|idletime", "key"},
    {"object|refcount", "key"},
    // connection
    {"ping", "message?"},
    {"echo", "message"},
    {"select", "index"},
    {"auth", "username? password"},
    {"hello", "{protover=integer {AUTH:username password}? SETNAME:clientname?}?"},
    {"client|setname", "connection-name"},
    {"client|setinfo", "(LIB-NAME:libname|LIB-VER:libver)"},
    {"client|kill",
     "(ip:port|{(ID:client-id|TYPE:type|USER:username|ADDR:ip:port|LADDR:ip:port|"
     "SKIPME:yes/no)+})"},
    {"client|list", "TYPE:type? ID:client-id+?"},
    {"client|no-evict", "(ON|OFF)"},
    {"client|no-touch", "(ON|OFF)"},
    // server
    {"flushdb", "(ASYNC|SYNC)?"},
    {"flushall", "(ASYNC|SYNC)?"},
    {"shutdown", "(NOSAVE|SAVE)? NOW? FORCE? ABORT?"},
    {"config|get", "parameter+"},
    {"config|set", "{parameter value}+"},
    {"info", "section*"},
    {"command|docs", "command-name*"},
    {"command|info", "command-name*"},
    {"command|getkeys", "command arg*"},
    {"command|list", "FILTERBY:(MODULE:module-name|ACLCAT:category|PATTERN:pattern)?"},
};

struct Arg {
  std::string name;
  std::string type;
  std::string token;
  bool optional = false;
  bool multiple = false;
  std::vector<Arg> children;
};

std::string TypeForName(std::string_view name) {
  if (name == "key") return "key";
  if (name == "pattern") return "pattern";
  if (name.starts_with("unix-time")) return "unix-time";
  static constexpr std::string_view kIntegers[] = {
      "seconds",   "milliseconds", "count", "offset", "start",     "end",           "increment",
      "decrement", "bit",          "index", "cursor", "client-id", "destination-db"};
  for (auto i : kIntegers) {
    if (name == i) return "integer";
  }
  return "string";
}

bool IsTokenWord(std::string_view w) {
  bool has_upper = false;
  for (char c : w) {
    if (std::islower(static_cast<unsigned char>(c))) return false;
    if (std::isupper(static_cast<unsigned char>(c))) has_upper = true;
  }
  return has_upper;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  std::vector<Arg> Sequence(char end) {
    std::vector<Arg> out;
    while (true) {
      SkipSpace();
      if (pos_ >= s_.size() || s_[pos_] == end || s_[pos_] == '|') return out;
      out.push_back(Item());
    }
  }

 private:
  void SkipSpace() {
    while (pos_ < s_.size() && s_[pos_] == ' ') ++pos_;
  }

  std::string_view Word() {
    size_t start = pos_;
    while (pos_ < s_.size() &&
           std::string_view(" |(){}?*+").find(s_[pos_]) == std::string_view::npos) {
      ++pos_;
    }
    return s_.substr(start, pos_ - start);
  }

  void Suffix(Arg* a) {
    if (pos_ >= s_.size()) return;
    char c = s_[pos_];
    if (c == '?') {
      a->optional = true;
      ++pos_;
      Suffix(a);
    } else if (c == '*') {
      a->optional = a->multiple = true;
      ++pos_;
    } else if (c == '+') {
      a->multiple = true;
      ++pos_;
      Suffix(a);
    }
  }

  Arg OneOf() {
    Arg a;
    a.type = "oneof";
    ++pos_;  // '('
    while (true) {
      auto alt = Sequence(')');
      CHECK(alt.size() == 1);  // one argument per alternative
      a.children.push_back(std::move(alt[0]));
      if (pos_ < s_.size() && s_[pos_] == '|') {
        ++pos_;
        continue;
      }
      break;
    }
    CHECK(pos_ < s_.size() && s_[pos_] == ')');
    ++pos_;
    std::string name;
    for (const auto& c : a.children) name += (name.empty() ? "" : "-") + c.name;
    a.name = name.size() > 40 ? "option" : name;
    return a;
  }

  Arg Block() {
    Arg a;
    a.type = "block";
    ++pos_;  // '{'
    a.children = Sequence('}');
    CHECK(pos_ < s_.size() && s_[pos_] == '}');
    ++pos_;
    std::string name;
    for (const auto& c : a.children) name += (name.empty() ? "" : "_") + c.name;
    a.name = name;
    return a;
  }

  Arg Item() {
    Arg a;
    if (s_[pos_] == '(') {
      a = OneOf();
    } else if (s_[pos_] == '{') {
      a = Block();
    } else {
      std::string_view w = Word();
      CHECK(!w.empty());
      auto colon = w.find(':');
      if (IsTokenWord(w.substr(0, colon)) && colon != std::string_view::npos) {
        // TOKEN:value, or TOKEN:(oneof)
        a.token = std::string(w.substr(0, colon));
        std::string_view value = w.substr(colon + 1);
        if (value.empty() && pos_ < s_.size() && s_[pos_] == '(') {
          Arg inner = OneOf();
          a.type = "oneof";
          a.name = Lower(a.token);
          a.children = std::move(inner.children);
        } else {
          auto eq = value.find('=');
          a.name = std::string(value.substr(0, eq));
          a.type = eq == std::string_view::npos ? TypeForName(a.name)
                                                : std::string(value.substr(eq + 1));
        }
      } else if (IsTokenWord(w)) {
        a.token = std::string(w);
        a.name = Lower(w);
        a.type = "pure-token";
      } else {
        auto eq = w.find('=');
        a.name = std::string(w.substr(0, eq));
        a.type = eq == std::string_view::npos ? TypeForName(a.name) : std::string(w.substr(eq + 1));
      }
    }
    Suffix(&a);
    return a;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

void WriteArg(resp::Writer& w, const Arg& a) {
  int fields = 2 + (a.token.empty() ? 0 : 1) + ((a.optional || a.multiple) ? 1 : 0) +
               (a.children.empty() ? 0 : 1);
  w.MapHeader(fields);
  w.Bulk("name");
  w.Bulk(a.name);
  w.Bulk("type");
  w.Bulk(a.type);
  if (!a.token.empty()) {
    w.Bulk("token");
    w.Bulk(a.token);
  }
  if (a.optional || a.multiple) {
    w.Bulk("flags");
    w.SetHeader((a.optional ? 1 : 0) + (a.multiple ? 1 : 0));
    if (a.optional) w.Simple("optional");
    if (a.multiple) w.Simple("multiple");
  }
  if (!a.children.empty()) {
    w.Bulk("arguments");
    w.ArrayHeader(static_cast<int64_t>(a.children.size()));
    for (const auto& c : a.children) WriteArg(w, c);
  }
}

}  // namespace

std::string_view CommandSyntax(std::string_view name) {
  for (const auto& e : kSyntax) {
    if (e.name == name) return e.syntax;
  }
  return {};
}

bool WriteArgumentDocs(resp::Writer& w, std::string_view syntax) {
  if (syntax.empty()) return false;
  auto args = Parser(syntax).Sequence('\0');
  w.ArrayHeader(static_cast<int64_t>(args.size()));
  for (const auto& a : args) WriteArg(w, a);
  return true;
}

}  // namespace shoal::server
