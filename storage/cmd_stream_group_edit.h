// GroupEdit: the changes one stream command makes to a consumer group
// (XREADGROUP, XACK, XCLAIM, XAUTOCLAIM). Record layouts: storage/stream.h.
//
// A group's pending entries list is kept twice: 'p' by ID with the owner
// and delivery data, and 'q' by consumer then ID. GroupEdit keeps the two
// lists, the group's PEL size and each consumer's in step.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/stream_util.h"

namespace shoal::storage::stream {

// Writes go into `txn`; reads do not see them, so the consumers and PEL
// entries the command touched are kept here and looked up here first. Used
// by one command under its key lock; `*h` and `txn` must outlive it.
// Methods returning bool (or a pointer) give false (null) after replying a
// storage error.
class GroupEdit {
 public:
  GroupEdit(Env& env, Handle* h, std::string_view group, const GroupState& g, WriteTxn& txn)
      : env_(env), h_(*h), group_(group), g_(g), txn_(txn) {}

  GroupState& state() { return g_; }
  // Call after changing state() directly.
  void MarkChanged() { changed_ = true; }

  // The consumer `name` as this command left it (*c null when it does not
  // exist). The caller may change *c: Finish writes it back.
  bool Find(std::string_view name, ConsumerState** c);
  // Find, creating the consumer (seen now, never active) when absent. The
  // pointer stays valid for the life of the GroupEdit.
  ConsumerState* FindOrCreate(std::string_view name);
  // FindOrCreate, marked as seen now: a consumer a command serves.
  ConsumerState* Touch(std::string_view name);

  // The PEL entry of `id`, if any.
  bool Pending(StreamId id, std::optional<PendingEntry>* p);
  // Makes `p` the PEL entry of `id`, which was `old`. A new owner gets the
  // consumer-PEL record (and the count) from the old one.
  bool SetPending(StreamId id, const std::optional<PendingEntry>& old, const PendingEntry& p);
  // Drops the PEL entry `old` of `id`.
  bool RemovePending(StreamId id, const PendingEntry& old);
  // The IDs >= `start` in the PEL of `consumer`, at most `count` (0: all),
  // as this command left it: stored ones merged with those it changed.
  bool ConsumerPel(std::string_view consumer, StreamId start, uint64_t count,
                   std::vector<StreamId>* out);

  // When the command changed anything: writes the group, the consumers it
  // touched and the key's metadata into the txn and returns true (the
  // caller commits). False, writing nothing, otherwise.
  bool Finish();

 private:
  // Takes `id` out of the PEL of `consumer`.
  bool Disown(StreamId id, std::string_view consumer);

  Env& env_;
  Handle& h_;
  std::string_view group_;
  GroupState g_;
  WriteTxn& txn_;
  std::map<std::string, ConsumerState, std::less<>> consumers_;
  std::map<StreamId, std::optional<PendingEntry>> pel_;  // nullopt: removed
  bool changed_ = false;
};

}  // namespace shoal::storage::stream
