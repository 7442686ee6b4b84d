// Stream consumer-group commands (placeholder until implemented).
#include "storage/coll.h"

namespace shoal::storage::coll {

std::span<const CmdImpl> StreamGroupImpls() { return {}; }

}  // namespace shoal::storage::coll
