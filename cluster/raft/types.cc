#include "cluster/raft/types.h"

namespace shoal::raft {

std::string Describe(const Entry& e) {
  return std::to_string(e.term) + "/" + std::to_string(e.index) +
         (e.type == EntryType::kNormal ? " normal " : " conf ") + std::to_string(e.data.size()) +
         "B";
}

}  // namespace shoal::raft
