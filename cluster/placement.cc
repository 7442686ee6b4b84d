#include "cluster/placement.h"

#include <algorithm>
#include <string_view>

#include "core/check.h"
#include "core/hash.h"

namespace shoal::cluster {
namespace {

// Little-endian byte strings, written by hand so that placement is the same
// on every host whatever its byte order.
template <size_t N>
struct LeBytes {
  char b[N];
  std::string_view view() const { return {b, N}; }
};

template <size_t N>
void PutLe(LeBytes<N>* out, size_t at, uint64_t v, size_t width) {
  for (size_t i = 0; i < width; ++i) out->b[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

uint64_t PointHash(uint32_t shard, uint32_t i) {
  LeBytes<8> in;
  PutLe(&in, 0, shard, 4);
  PutLe(&in, 4, i, 4);
  return Hash64(in.view(), kRingSeed);
}

// Slots sit on the ring in order, evenly spaced (slot n at the middle of
// the n-th of 16384 equal arcs), so each arc between two shard points is a
// run of consecutive slots: a shard owns about `vpoints` contiguous ranges
// rather than thousands of single slots, and CLUSTER SLOTS stays short.
uint64_t SlotPosition(uint16_t slot) {
  constexpr int kArcBits = 64 - 14;  // 2^64 / kSlots
  static_assert(kSlots == 1 << 14);
  return (static_cast<uint64_t>(slot) << kArcBits) + (uint64_t{1} << (kArcBits - 1));
}

uint64_t RendezvousWeight(uint32_t shard, uint64_t node) {
  LeBytes<12> in;
  PutLe(&in, 0, shard, 4);
  PutLe(&in, 4, node, 8);
  return Hash64(in.view(), kRendezvousSeed);
}

void CheckDistinct(std::span<const uint64_t> nodes) {
  std::vector<uint64_t> sorted(nodes.begin(), nodes.end());
  std::sort(sorted.begin(), sorted.end());
  CHECK(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());
}

}  // namespace

SlotMap SlotMap::Build(uint32_t shards, int vpoints) {
  CHECK(shards >= 1 && shards <= kMaxShards);
  CHECK(vpoints >= 1 && vpoints <= kMaxVirtualPoints);
  struct Point {
    uint64_t hash;
    uint32_t shard;
  };
  std::vector<Point> ring;
  ring.reserve(static_cast<size_t>(shards) * vpoints);
  for (uint32_t s = 0; s < shards; ++s) {
    for (int i = 0; i < vpoints; ++i) ring.push_back({PointHash(s, static_cast<uint32_t>(i)), s});
  }
  // Equal hashes (vanishingly rare) are ordered by shard so the result never
  // depends on insertion order.
  std::sort(ring.begin(), ring.end(), [](const Point& a, const Point& b) {
    return a.hash != b.hash ? a.hash < b.hash : a.shard < b.shard;
  });
  std::vector<uint32_t> table(kSlots);
  for (int slot = 0; slot < kSlots; ++slot) {
    uint64_t h = SlotPosition(static_cast<uint16_t>(slot));
    auto it = std::lower_bound(ring.begin(), ring.end(), h,
                               [](const Point& p, uint64_t v) { return p.hash < v; });
    if (it == ring.end()) it = ring.begin();  // clockwise past the top wraps around
    table[slot] = it->shard;
  }
  return SlotMap(shards, std::move(table));
}

uint32_t SlotMap::ShardOf(uint16_t slot) const {
  CHECK(slot < kSlots);
  return table_[slot];
}

std::vector<std::pair<uint16_t, uint16_t>> SlotMap::Ranges(uint32_t shard) const {
  std::vector<std::pair<uint16_t, uint16_t>> out;
  for (int slot = 0; slot < kSlots; ++slot) {
    if (table_[slot] != shard) continue;
    auto s = static_cast<uint16_t>(slot);
    if (!out.empty() && out.back().second + 1 == slot) {
      out.back().second = s;
    } else {
      out.emplace_back(s, s);
    }
  }
  return out;
}

size_t SlotMap::SlotCount(uint32_t shard) const {
  return static_cast<size_t>(std::count(table_.begin(), table_.end(), shard));
}

std::vector<uint64_t> PlaceReplicas(uint32_t shard, std::span<const uint64_t> nodes, int replicas) {
  CHECK(replicas >= 0);
  CheckDistinct(nodes);
  std::vector<std::pair<uint64_t, uint64_t>> weighted;  // (weight, node)
  weighted.reserve(nodes.size());
  for (uint64_t node : nodes) weighted.emplace_back(RendezvousWeight(shard, node), node);
  size_t n = std::min(nodes.size(), static_cast<size_t>(replicas));
  auto heavier = [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  };
  std::partial_sort(weighted.begin(), weighted.begin() + static_cast<std::ptrdiff_t>(n),
                    weighted.end(), heavier);
  std::vector<uint64_t> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(weighted[i].second);
  return out;
}

std::vector<uint64_t> PreferredLeaders(const SlotMap& map, std::span<const uint64_t> nodes,
                                       int replicas) {
  CHECK(!nodes.empty());
  CHECK(replicas >= 1);
  std::vector<std::pair<uint64_t, size_t>> led;  // (node, shards led), sorted by node
  led.reserve(nodes.size());
  for (uint64_t node : nodes) led.emplace_back(node, 0);
  std::sort(led.begin(), led.end());
  auto count_of = [&led](uint64_t node) -> size_t& {
    auto it = std::lower_bound(led.begin(), led.end(), std::make_pair(node, size_t{0}));
    return it->second;
  };
  // The replica of `reps` leading the fewest shards; ties go to the higher
  // rendezvous rank (earlier in reps), which is the same on every node.
  auto least_loaded = [&count_of](const std::vector<uint64_t>& reps) {
    uint64_t best = reps.front();
    for (uint64_t node : reps) {
      if (count_of(node) < count_of(best)) best = node;
    }
    return best;
  };

  std::vector<std::vector<uint64_t>> reps(map.shards());
  std::vector<uint64_t> leaders(map.shards());
  for (uint32_t shard = 0; shard < map.shards(); ++shard) {
    reps[shard] = PlaceReplicas(shard, nodes, replicas);
    leaders[shard] = least_loaded(reps[shard]);
    ++count_of(leaders[shard]);
  }
  // Greedy alone leaves a node two or more shards short when its replicas
  // came late in shard order (seen with 12+ nodes). Move a shard's
  // leadership to one of its replicas while that leads at least two fewer
  // shards. Each move lowers the sum of squared counts by at least 2, so
  // the loop ends (after at most S*S/2 moves; in practice a handful).
  for (bool moved = true; moved;) {
    moved = false;
    for (uint32_t shard = 0; shard < map.shards(); ++shard) {
      uint64_t to = least_loaded(reps[shard]);
      if (count_of(to) + 2 <= count_of(leaders[shard])) {
        --count_of(leaders[shard]);
        ++count_of(to);
        leaders[shard] = to;
        moved = true;
      }
    }
  }
  return leaders;
}

}  // namespace shoal::cluster
