// A connection's receive buffer: bytes received and not yet consumed.
// Grows without zero-filling (realloc), so a request that announces a huge
// bulk length costs memory only as its bytes actually arrive.
// Not thread-safe; owned by its connection.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "core/check.h"

namespace shoal::server {

class InputBuffer {
 public:
  InputBuffer() = default;
  ~InputBuffer() { std::free(data_); }
  InputBuffer(const InputBuffer&) = delete;
  InputBuffer& operator=(const InputBuffer&) = delete;

  // Ensures at least `n` free bytes after the used ones.
  void Reserve(size_t n) {
    if (cap_ - used_ >= n) return;
    size_t cap = cap_ == 0 ? n : cap_;
    while (cap - used_ < n) cap *= 2;
    auto* p = static_cast<char*>(std::realloc(data_, cap));
    CHECK(p != nullptr);
    data_ = p;
    cap_ = cap;
  }
  char* write_ptr() { return data_ + used_; }
  size_t free_bytes() const { return cap_ - used_; }
  void Commit(size_t n) { used_ += n; }

  std::string_view unread(size_t from = 0) const { return {data_ + from, used_ - from}; }
  size_t size() const { return used_; }
  size_t capacity() const { return cap_; }
  // Drops the first n bytes, moving the rest to the front.
  void Consume(size_t n) {
    if (n < used_) std::memmove(data_, data_ + n, used_ - n);
    used_ -= n;
  }
  // Releases a large allocation once empty.
  void ShrinkIfEmpty(size_t keep) {
    if (used_ != 0 || cap_ <= keep) return;
    std::free(data_);
    data_ = nullptr;
    cap_ = 0;
  }

 private:
  char* data_ = nullptr;
  size_t cap_ = 0;
  size_t used_ = 0;
};

}  // namespace shoal::server
