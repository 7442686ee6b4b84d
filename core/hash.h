// xxHash, the project's general-purpose hash (placement, rings, caches).
#pragma once

#include <cstdint>
#include <string_view>

namespace shoal {

uint64_t Hash64(std::string_view data, uint64_t seed = 0);

}  // namespace shoal
