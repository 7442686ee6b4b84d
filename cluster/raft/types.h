// Vocabulary of the Raft core: ids, terms, indexes and log entries. The
// algorithm itself arrives with the Raft issue; the replicated operations it
// will carry are storage::Op, encoded (storage/op.h).
#pragma once

#include <cstdint>
#include <string>

namespace shoal::raft {

using NodeId = uint64_t;
using Term = uint64_t;
using Index = uint64_t;

inline constexpr NodeId kNoNode = 0;

// Entry kinds. On disk and on the wire: never change the numbers.
enum class EntryType : uint8_t { kNormal = 0, kConfChange = 1 };

struct Entry {
  Term term = 0;
  Index index = 0;
  EntryType type = EntryType::kNormal;
  std::string data;
};

// Human-readable form used by logs and scripted tests: "1/5 normal 12B".
std::string Describe(const Entry& e);

}  // namespace shoal::raft
