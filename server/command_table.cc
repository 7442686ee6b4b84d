#include <algorithm>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/strutil.h"
#include "server/command.h"

namespace shoal::server {
namespace {

// Name lookup runs for every command: an open-addressing table probed with
// a hash computed while lower-casing, no allocation and no std::string.
struct NameSlot {
  std::string_view name;
  const CommandSpec* spec = nullptr;
};

uint32_t NameHash(std::string_view lower) {
  uint32_t h = 2166136261u;  // FNV-1a
  for (char c : lower) h = (h ^ static_cast<uint8_t>(c)) * 16777619u;
  return h;
}

struct Index {
  std::vector<NameSlot> by_name;  // size: a power of two, at most 1/4 full
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
  for (auto family : {StringCommands(), KeyCommands(), ConnectionCommands(), ServerCommands(),
                      ClusterCommands(), HashCommands(), ListCommands(), SetCommands(),
                      ZsetCommands(), StreamCommands(), PubSubCommands(), TransactionCommands()}) {
    for (const auto& c : family) all_.push_back(&c);
  }
  for (const auto* c : all_) {
    with_subs_.push_back(c);
    for (const auto& sub : c->subcommands) with_subs_.push_back(&sub);
  }
  auto& idx = TheIndex();
  size_t n = 16;
  while (n < all_.size() * 4) n *= 2;
  idx.by_name.assign(n, NameSlot{});
  for (const auto* c : all_) {
    size_t i = NameHash(c->name) & (n - 1);
    while (idx.by_name[i].spec != nullptr) i = (i + 1) & (n - 1);
    idx.by_name[i] = NameSlot{c->name, c};
  }
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
  std::string_view lower(buf, name.size());
  const auto& slots = TheIndex().by_name;
  size_t mask = slots.size() - 1;
  for (size_t i = NameHash(lower) & mask;; i = (i + 1) & mask) {
    if (slots[i].spec == nullptr) return nullptr;
    if (slots[i].name == lower) return slots[i].spec;
  }
}

const CommandSpec* CommandTable::FindSub(const CommandSpec& parent, std::string_view sub) {
  for (const auto& s : parent.subcommands) {
    auto bar = s.name.find('|');
    std::string_view short_name = bar == std::string_view::npos ? s.name : s.name.substr(bar + 1);
    if (EqualsIgnoreCase(short_name, sub)) return &s;
  }
  return nullptr;
}

std::vector<size_t> KeyIndexes(const CommandSpec& spec, Args args) {
  if (spec.keys != nullptr) return spec.keys(args);
  std::vector<size_t> out;
  if (spec.first_key <= 0) return out;
  const auto argc = static_cast<int>(args.size());
  int last = spec.last_key < 0 ? argc + spec.last_key : spec.last_key;
  int step = spec.key_step > 0 ? spec.key_step : 1;
  for (int i = spec.first_key; i <= last && i < argc; i += step)
    out.push_back(static_cast<size_t>(i));
  return out;
}

namespace {

// XREAD / XREADGROUP: a BLOCK option before STREAMS.
bool HasBlockOption(Args args) {
  for (size_t i = 1; i + 1 < args.size(); ++i) {
    auto a = args[i];
    if (a.size() == 7 && (a[0] == 's' || a[0] == 'S') && EqualsIgnoreCase(a, "streams")) break;
    if (a.size() == 5 && EqualsIgnoreCase(a, "block")) return true;
  }
  return false;
}

}  // namespace

bool IsStreamRead(const CommandSpec& spec) {
  return spec.name == "xread" || spec.name == "xreadgroup";
}

bool BlocksCall(const CommandSpec& spec, Args args) {
  if (!(spec.flags & kBlocking)) return false;
  return !IsStreamRead(spec) || HasBlockOption(args);
}

bool IsWriteCall(const CommandSpec& spec, Args args) {
  if (spec.flags & kWrite) return true;
  return (spec.flags & kBlocking) && BlocksCall(spec, args);
}

size_t CommandTable::IndexOf(const CommandSpec* spec) const {
  auto& pos = TheIndex().position;
  auto it = pos.find(spec);
  return it == pos.end() ? 0 : it->second;
}

}  // namespace shoal::server
