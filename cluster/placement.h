// Where things live (DESIGN.md §5): hash slots onto shards by a consistent-
// hash ring, shard replicas onto nodes by rendezvous hashing, and a preferred
// leader per shard that spreads leadership evenly. Pure functions of their
// arguments: no I/O, no clock, no randomness, so every node computes the same
// placement from the same cluster configuration.
//
// The hash inputs below are part of the cluster's persistent contract: a
// change moves data between nodes on upgrade. Never change them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace shoal::cluster {

inline constexpr int kSlots = 16384;
inline constexpr int kDefaultVirtualPoints = 128;  // per shard on the ring
// Bounds that keep a ring build cheap (shards * vpoints points are sorted).
inline constexpr uint32_t kMaxShards = 1U << 16;
inline constexpr int kMaxVirtualPoints = 4096;

// Hash seeds, one per use so the three hash families are independent.
// Frozen: never change (see above).
inline constexpr uint64_t kRingSeed = 0x73686f616c2d7270;        // "shoal-rp"
inline constexpr uint64_t kRendezvousSeed = 0x73686f616c2d7276;  // "shoal-rv"

// Slot -> shard by a consistent-hash ring. Shard `s` owns `vpoints` points
// at Hash64(LE32(s) || LE32(i), kRingSeed) for i in [0, vpoints); slot `n`
// sits at position n * 2^50 + 2^49 (slots in order, evenly spaced) and
// belongs to the owner of the first point clockwise from it (the first
// point >= the slot's position, wrapping to the smallest; equal point hashes
// are ordered by shard id). A shard thus owns about `vpoints` contiguous
// slot ranges.
// Adding shard S moves only slots to S, about 1/(S+1) of them, taken from
// all old shards alike. A value type; cheap to copy (64 KiB table).
class SlotMap {
 public:
  // shards in [1, kMaxShards], vpoints in [1, kMaxVirtualPoints]; anything
  // else is a programmer error (CHECK).
  static SlotMap Build(uint32_t shards, int vpoints = kDefaultVirtualPoints);

  // slot < kSlots (CHECK). O(1): a precomputed table.
  uint32_t ShardOf(uint16_t slot) const;
  uint32_t shards() const { return shards_; }
  // Contiguous slot ranges [first, last] (inclusive) owned by `shard`, in
  // ascending order; empty for a shard that owns no slot or does not exist.
  std::vector<std::pair<uint16_t, uint16_t>> Ranges(uint32_t shard) const;
  // Number of slots owned by `shard` (0 if it does not exist).
  size_t SlotCount(uint32_t shard) const;

 private:
  SlotMap(uint32_t shards, std::vector<uint32_t> table)
      : shards_(shards), table_(std::move(table)) {}
  uint32_t shards_;
  std::vector<uint32_t> table_;  // kSlots entries: slot -> shard
};

// Rendezvous (highest-random-weight) hashing: the `replicas` nodes with the
// highest weight Hash64(LE32(shard) || LE64(node), kRendezvousSeed), in
// descending weight order (ties by ascending node id). The result does not
// depend on the order of `nodes`. replicas is capped at nodes.size().
// Preconditions (CHECK): node ids distinct, replicas >= 0.
// Removing a node changes only the shards it was on (each gains the next
// node in rank); adding one changes only shards whose top `replicas` it
// enters, about replicas/N of them.
std::vector<uint64_t> PlaceReplicas(uint32_t shard, std::span<const uint64_t> nodes, int replicas);

// A preferred leader per shard so that each node leads about S/N shards:
// greedily in shard order, among the shard's PlaceReplicas(...) pick the node
// currently preferred for the fewest shards (ties: higher rendezvous rank
// first); then, while some shard's leader leads at least two more shards
// than another of its replicas, hand that shard to the least loaded of them
// (shard order, same ties). Deterministic. Returns map.shards() node ids,
// index = shard id; each is one of that shard's replicas. With 3 or 5
// replicas, 3..16 nodes and N..4N shards (the unit tests) each node leads
// within [floor(S/N)-1, ceil(S/N)+1]; in general a node that is a replica
// of few shards may lead fewer.
// Preconditions (CHECK): nodes non-empty and distinct, replicas >= 1.
std::vector<uint64_t> PreferredLeaders(const SlotMap& map, std::span<const uint64_t> nodes,
                                       int replicas);

}  // namespace shoal::cluster
