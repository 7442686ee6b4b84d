#include "core/check.h"

#include <cstdio>
#include <cstdlib>

namespace shoal::internal {

void CheckFailed(const char* file, int line, const char* expr) {
  // stderr directly: the logger may be the thing that is broken.
  std::fprintf(stderr, "CHECK failed at %s:%d: %s\n", file, line, expr);
  std::fflush(stderr);
  std::abort();
}

}  // namespace shoal::internal
