// The name -> implementation table of the collection commands.
#include <unordered_map>

#include "storage/coll.h"

namespace shoal::storage::coll {

const CmdImpl* FindImpl(std::string_view name) {
  static const auto* table = [] {
    auto* t = new std::unordered_map<std::string_view, const CmdImpl*>();
    for (auto family :
         {HashImpls(), ListImpls(), SetImpls(), ZsetImpls(), StreamImpls(), StreamGroupImpls()}) {
      for (const auto& c : family) t->emplace(c.name, &c);
    }
    return t;
  }();
  char buf[32];
  if (name.size() > sizeof(buf)) return nullptr;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    buf[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  }
  auto it = table->find(std::string_view(buf, name.size()));
  return it == table->end() ? nullptr : it->second;
}

}  // namespace shoal::storage::coll
