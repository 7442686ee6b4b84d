#include <algorithm>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/strutil.h"
#include "server/command.h"

namespace shoal::server {
namespace {

struct Index {
  std::unordered_map<std::string, const CommandSpec*> by_name;
  std::unordered_map<const CommandSpec*, size_t> position;
};

Index& TheIndex() {
  static Index idx;
  return idx;
}

}  // namespace

const CommandTable& CommandTable::Get() {
  static const CommandTable table;
  return table;
}

CommandTable::CommandTable() {
  for (auto family : {StringCommands(), KeyCommands(), ConnectionCommands(), ServerCommands()}) {
    for (const auto& c : family) all_.push_back(&c);
  }
  for (const auto* c : all_) {
    with_subs_.push_back(c);
    for (const auto& sub : c->subcommands) with_subs_.push_back(&sub);
  }
  auto& idx = TheIndex();
  for (const auto* c : all_) idx.by_name.emplace(std::string(c->name), c);
  for (size_t i = 0; i < with_subs_.size(); ++i) idx.position.emplace(with_subs_[i], i);
}

const CommandSpec* CommandTable::Find(std::string_view name) const {
  // Command names are short; lower-case into a stack buffer, no allocation.
  char buf[32];
  if (name.size() > sizeof(buf)) return nullptr;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    buf[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  }
  auto& m = TheIndex().by_name;
  thread_local std::string key;
  key.assign(buf, name.size());
  auto it = m.find(key);
  return it == m.end() ? nullptr : it->second;
}

const CommandSpec* CommandTable::FindSub(const CommandSpec& parent, std::string_view sub) {
  for (const auto& s : parent.subcommands) {
    auto bar = s.name.find('|');
    std::string_view short_name = bar == std::string_view::npos ? s.name : s.name.substr(bar + 1);
    if (EqualsIgnoreCase(short_name, sub)) return &s;
  }
  return nullptr;
}

size_t CommandTable::IndexOf(const CommandSpec* spec) const {
  auto& pos = TheIndex().position;
  auto it = pos.find(spec);
  return it == pos.end() ? 0 : it->second;
}

}  // namespace shoal::server
