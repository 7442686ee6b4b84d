// XREAD (Redis 7 semantics): entries after the given IDs, from one or more
// streams.
//
// XREAD with BLOCK makes one attempt: when no stream has anything newer it
// sets env.would_block with the IDs it used ("$" resolved) and changes
// nothing; the server waits and retries (server/connection_blocking.cc).
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/cmd_stream_impl.h"

namespace shoal::storage::stream {

// XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]
void Xread(Env& env, Argv argv) {
  ReadArgs a;
  if (!ParseReadArgs(env, argv, /*xreadgroup=*/false, &a)) return;
  const size_t n = a.keys.size();
  auto lock = coll::LockKeys(env, a.keys);

  // Each stream's "greater than" ID, checked stream by stream as Redis does
  // (the key's type, then its ID).
  std::vector<std::unique_ptr<Handle>> handles;
  std::vector<StreamId> after(n);
  std::vector<bool> last_only(n, false);  // "+": the last entry
  handles.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    handles.push_back(std::make_unique<Handle>());
    Handle& h = *handles.back();
    if (!OpenStream(env, a.keys[i], &h)) return;
    std::string_view arg = a.ids[i];
    if (arg == "$" || arg == "+") {
      if (!LastId(env, h, &after[i])) return;
      if (arg == "+" && h.live && h.meta.count > 0) {
        std::optional<StreamId> last;
        if (!LastEntryId(env, h, &last)) return;
        if (last) {
          after[i] = *last;
          last_only[i] = after[i].Decr();
        }
      }
      continue;
    }
    if (arg == ">") {
      return env.out.Error(
          "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> "
          "<consumer> option.");
    }
    if (!StrictId(env, arg, &after[i])) return;
  }

  std::vector<KeyEntries> served;
  for (size_t i = 0; i < n; ++i) {
    const Handle& h = *handles[i];
    if (!h.live || h.meta.count == 0) continue;
    StreamId from = after[i];
    if (!from.Incr()) continue;
    Entries entries;
    const uint64_t limit = last_only[i] ? 1 : a.count;
    if (!RangeEntries(env, h, from, StreamId::Max(), false, limit, &entries)) return;
    if (!entries.empty()) served.push_back({a.keys[i], std::move(entries)});
  }
  if (served.empty()) {
    if (a.block && env.write) {
      env.would_block = true;
      for (size_t i = 0; i < n; ++i) {
        if (i > 0) env.block_ids.push_back(' ');
        // A "+" that found no entry waits like "$".
        StreamId wait = after[i];
        if (last_only[i]) wait.Incr();
        env.block_ids += wait.ToString();
      }
    }
    return env.out.NullArray();
  }
  ReplyKeyEntries(env, served);
}

}  // namespace shoal::storage::stream
