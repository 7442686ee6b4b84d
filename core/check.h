// CHECK(cond): a broken invariant is a programmer error; it crashes loudly in
// every build type (assertions stay on in release builds). Operating errors
// (bad input, lost peer, full disk) are returned as Status, never CHECKed.
#pragma once

namespace shoal::internal {
[[noreturn]] void CheckFailed(const char* file, int line, const char* expr);
}  // namespace shoal::internal

#define CHECK(cond)                                              \
  do {                                                           \
    if (__builtin_expect(!(cond), 0)) {                          \
      ::shoal::internal::CheckFailed(__FILE__, __LINE__, #cond); \
    }                                                            \
  } while (0)
