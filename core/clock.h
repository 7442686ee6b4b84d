// Time enters shoal through this seam so tests can control it.
#pragma once

#include <atomic>
#include <cstdint>

namespace shoal {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch (wall clock; used for expiry).
  virtual int64_t NowMs() const = 0;
  // Microseconds from an arbitrary start (monotonic; used for durations).
  virtual int64_t MonotonicUs() const = 0;
};

// The real clocks. Thread-safe.
class SystemClock final : public Clock {
 public:
  int64_t NowMs() const override;
  int64_t MonotonicUs() const override;
  static SystemClock* Get();
};

// A clock that only moves when told to. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t now_ms) : now_ms_(now_ms) {}
  int64_t NowMs() const override { return now_ms_.load(); }
  int64_t MonotonicUs() const override { return now_ms_.load() * 1000; }
  void AdvanceMs(int64_t ms) { now_ms_ += ms; }
  void SetMs(int64_t ms) { now_ms_ = ms; }

 private:
  std::atomic<int64_t> now_ms_;
};

}  // namespace shoal
