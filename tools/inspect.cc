// shoal-inspect DIR: prints a node's keyspace as stored (slot, key, type,
// expire-at, value size), for debugging on-disk state. Read-only use: run it
// only while the server is stopped (RocksDB allows one process per dir).
#include <cstdio>

#include "storage/engine.h"
#include "storage/format.h"

int main(int argc, char** argv) {
  using namespace shoal::storage;
  if (argc != 2) {
    std::fprintf(stderr, "usage: shoal-inspect DATA_DIR\n");
    return 2;
  }
  EngineOptions opts;
  opts.dir = argv[1];
  auto engine = Engine::Open(opts);
  if (!engine.ok()) {
    std::fprintf(stderr, "shoal-inspect: %s\n", engine.status().ToString().c_str());
    return 1;
  }
  auto it = (*engine)->NewIterator(Cf::kMeta);
  long count = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto k = DecodeMetaKey(std::string_view(it->key().data(), it->key().size()));
    auto m = DecodeMetaValue(std::string_view(it->value().data(), it->value().size()));
    if (!k || !m) {
      std::printf("CORRUPT record at position %ld\n", count);
      continue;
    }
    std::printf("slot=%u key=%.*s type=%s expire_at_ms=%lld bytes=%zu\n", k->first,
                static_cast<int>(k->second.size()), k->second.data(), TypeName(m->type),
                static_cast<long long>(m->expire_at_ms), m->payload.size());
    ++count;
  }
  std::printf("%ld keys\n", count);
  return 0;
}
