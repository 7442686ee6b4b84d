// Stream commands without consumer groups (placeholder until implemented).
#include "storage/coll.h"

namespace shoal::storage::coll {

std::span<const CmdImpl> StreamImpls() { return {}; }

}  // namespace shoal::storage::coll
