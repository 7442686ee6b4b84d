#include "server/notify.h"

#include <string>
#include <unordered_map>

#include "core/strutil.h"
#include "server/server.h"
#include "storage/reads.h"

namespace shoal::server::notify {
namespace {

// What a write command raises: `event` of class `type` on its first key
// (the destination of *STORE); `dest_event` (when set) on its last key
// (RENAME, LMOVE, SMOVE, COPY).
struct Event {
  uint32_t type;
  std::string_view event;
  std::string_view dest_event = {};
  // Every key of the command gets `event` (DEL, MSET...).
  bool all_keys = false;
};

const std::unordered_map<std::string_view, Event>& Events() {
  static const auto* table = new std::unordered_map<std::string_view, Event>{
      // strings
      {"set", {kString, "set"}},
      {"setnx", {kString, "set"}},
      {"setex", {kString, "set"}},
      {"psetex", {kString, "set"}},
      {"getset", {kString, "set"}},
      {"mset", {kString, "set", {}, true}},
      {"msetnx", {kString, "set", {}, true}},
      {"append", {kString, "append"}},
      {"setrange", {kString, "setrange"}},
      {"incr", {kString, "incrby"}},
      {"decr", {kString, "incrby"}},
      {"incrby", {kString, "incrby"}},
      {"decrby", {kString, "incrby"}},
      {"incrbyfloat", {kString, "incrbyfloat"}},
      {"getdel", {kGeneric, "del"}},
      {"setbit", {kString, "setbit"}},
      // generic
      {"del", {kGeneric, "del", {}, true}},
      {"unlink", {kGeneric, "del", {}, true}},
      {"expire", {kGeneric, "expire"}},
      {"pexpire", {kGeneric, "expire"}},
      {"expireat", {kGeneric, "expire"}},
      {"pexpireat", {kGeneric, "expire"}},
      {"persist", {kGeneric, "persist"}},
      {"rename", {kGeneric, "rename_from", "rename_to"}},
      {"renamenx", {kGeneric, "rename_from", "rename_to"}},
      {"copy", {kGeneric, {}, "copy_to"}},
      // lists
      {"lpush", {kList, "lpush"}},
      {"rpush", {kList, "rpush"}},
      {"lpushx", {kList, "lpush"}},
      {"rpushx", {kList, "rpush"}},
      {"lpop", {kList, "lpop"}},
      {"rpop", {kList, "rpop"}},
      {"linsert", {kList, "linsert"}},
      {"lset", {kList, "lset"}},
      {"lrem", {kList, "lrem"}},
      {"ltrim", {kList, "ltrim"}},
      {"rpoplpush", {kList, "rpop", "lpush"}},
      {"lmove", {kList, "lmove_from", "lmove_to"}},
      {"blpop", {kList, "lpop"}},
      {"brpop", {kList, "rpop"}},
      // hashes
      {"hset", {kHash, "hset"}},
      {"hmset", {kHash, "hset"}},
      {"hsetnx", {kHash, "hset"}},
      {"hdel", {kHash, "hdel"}},
      {"hincrby", {kHash, "hincrby"}},
      {"hincrbyfloat", {kHash, "hincrbyfloat"}},
      // sets
      {"sadd", {kSet, "sadd"}},
      {"srem", {kSet, "srem"}},
      {"spop", {kSet, "spop"}},
      {"smove", {kSet, "srem", "sadd"}},
      {"sinterstore", {kSet, "sinterstore"}},
      {"sunionstore", {kSet, "sunionstore"}},
      {"sdiffstore", {kSet, "sdiffstore"}},
      // sorted sets
      {"zadd", {kZset, "zadd"}},
      {"zincrby", {kZset, "zincr"}},
      {"zrem", {kZset, "zrem"}},
      {"zpopmin", {kZset, "zpopmin"}},
      {"zpopmax", {kZset, "zpopmax"}},
      {"bzpopmin", {kZset, "zpopmin"}},
      {"bzpopmax", {kZset, "zpopmax"}},
      {"zremrangebyscore", {kZset, "zremrangebyscore"}},
      {"zremrangebyrank", {kZset, "zremrangebyrank"}},
      {"zremrangebylex", {kZset, "zremrangebylex"}},
      {"zunionstore", {kZset, "zunionstore"}},
      {"zinterstore", {kZset, "zinterstore"}},
      {"zdiffstore", {kZset, "zdiffstore"}},
      {"zrangestore", {kZset, "zrangestore"}},
      // streams
      {"xadd", {kStream, "xadd"}},
      {"xdel", {kStream, "xdel"}},
      {"xtrim", {kStream, "xtrim"}},
      {"xsetid", {kStream, "xsetid"}},
      {"xclaim", {kStream, "xclaim"}},
      {"xautoclaim", {kStream, "xautoclaim"}},
      {"xreadgroup", {kStream, "xreadgroup"}},
  };
  return *table;
}

// Replies that say the command changed nothing: an error, a null, or 0
// (DEL, SADD, EXPIRE... of nothing). HSET/LPUSH-style counts of new
// members are not "nothing": those commands changed the key anyway.
bool ChangedNothing(std::string_view name, std::string_view reply) {
  if (reply.empty() || reply[0] == '-' || reply.starts_with("$-1") || reply.starts_with("*-1") ||
      reply.starts_with("_")) {
    return true;
  }
  if (reply == ":0\r\n") {
    return !(name == "hset" || name == "hmset" || name == "incr" || name == "decr" ||
             name == "incrby" || name == "decrby" || name == "setrange" || name == "setbit" ||
             name == "zadd" || name == "append");
  }
  return false;
}

}  // namespace

uint32_t ParseFlags(std::string_view value) {
  uint32_t f = 0;
  for (char c : value) {
    switch (c) {
      case 'K':
        f |= kKeyspace;
        break;
      case 'E':
        f |= kKeyevent;
        break;
      case 'g':
        f |= kGeneric;
        break;
      case '$':
        f |= kString;
        break;
      case 'l':
        f |= kList;
        break;
      case 's':
        f |= kSet;
        break;
      case 'h':
        f |= kHash;
        break;
      case 'z':
        f |= kZset;
        break;
      case 'x':
        f |= kExpired;
        break;
      case 'e':
        f |= kEvicted;
        break;
      case 't':
        f |= kStream;
        break;
      case 'm':
        f |= kKeyMiss;
        break;
      case 'd':
        f |= kModule;
        break;
      case 'n':
        f |= kNew;
        break;
      case 'A':
        f |= kGeneric | kString | kList | kSet | kHash | kZset | kExpired | kEvicted | kStream |
             kModule;
        break;
      default:
        break;
    }
  }
  // Without K or E nothing is delivered (Redis).
  if (!(f & (kKeyspace | kKeyevent))) return 0;
  return f;
}

namespace {

bool Exists(Server& server, std::string_view key) {
  return storage::reads::LiveType(server.keyspace(), key, server.clock().NowMs()).has_value();
}

// XGROUP <sub>: "xgroup-<sub>" when it changed something.
void AfterXgroup(Server& server, const CommandSpec& spec, Args args, std::string_view reply) {
  if (args.size() < 3 || reply.empty() || reply[0] == '-') return;
  std::string sub = ToLower(args[1]);
  if ((sub == "createconsumer" || sub == "destroy") && reply == ":0\r\n") return;
  auto keys = KeyIndexes(spec, args);
  if (keys.empty() || !(server.notify_flags() & kStream)) return;
  server.NotifyKeyspaceEvent(kStream, "xgroup-" + sub, args[keys.front()]);
}

}  // namespace

BeforeWrite::BeforeWrite(Server& server, const CommandSpec& spec, Args args) {
  // DEL / UNLINK notify only the keys they removed.
  if (EqualsIgnoreCase(args[0], "del") || EqualsIgnoreCase(args[0], "unlink")) {
    for (size_t i : KeyIndexes(spec, args)) existed.push_back(Exists(server, args[i]));
    return;
  }
  // A *STORE command with an empty result deletes its destination: "del"
  // if there was one.
  if (args[0].size() > 5 && EqualsIgnoreCase(args[0].substr(args[0].size() - 5), "store")) {
    auto keys = KeyIndexes(spec, args);
    if (!keys.empty()) dest_existed = Exists(server, args[keys.front()]);
  }
}

void AfterWrite(Server& server, const CommandSpec& spec, Args args, std::string_view reply,
                const BeforeWrite& before) {
  std::string name = ToLower(args[0]);
  if (name == "xgroup") return AfterXgroup(server, spec, args, reply);
  const auto& table = Events();
  auto it = table.find(name);
  if (it == table.end()) return;
  const Event& e = it->second;
  auto keys = KeyIndexes(spec, args);
  if (keys.empty()) return;
  if (ChangedNothing(name, reply)) {
    if (before.dest_existed && reply == ":0\r\n" && (server.notify_flags() & kGeneric)) {
      server.NotifyKeyspaceEvent(kGeneric, "del", args[keys.front()]);
    }
    return;
  }
  if (!(server.notify_flags() & e.type)) return;
  if (e.all_keys) {
    for (size_t k = 0; k < keys.size(); ++k) {
      if (k < before.existed.size() && !before.existed[k]) continue;
      server.NotifyKeyspaceEvent(e.type, e.event, args[keys[k]]);
    }
    return;
  }
  // EXPIRE & co. with a time in the past delete the key: "del".
  if (e.event == "expire" && !Exists(server, args[keys.front()])) {
    server.NotifyKeyspaceEvent(kGeneric, "del", args[keys.front()]);
    return;
  }
  if (!e.event.empty()) server.NotifyKeyspaceEvent(e.type, e.event, args[keys.front()]);
  // A removal that emptied a collection deleted it.
  const bool collection = e.type & (kList | kSet | kHash | kZset);
  if (collection && !e.event.empty() && (server.notify_flags() & kGeneric) &&
      !Exists(server, args[keys.front()])) {
    server.NotifyKeyspaceEvent(kGeneric, "del", args[keys.front()]);
  }
  if (!e.dest_event.empty()) server.NotifyKeyspaceEvent(e.type, e.dest_event, args[keys.back()]);
  // SET ... EX and friends also set an expiry.
  if ((name == "set" || name == "setex" || name == "psetex") && args.size() > 3) {
    bool expiry = name != "set";
    for (size_t i = 3; i < args.size() && !expiry; ++i) {
      expiry = EqualsIgnoreCase(args[i], "ex") || EqualsIgnoreCase(args[i], "px") ||
               EqualsIgnoreCase(args[i], "exat") || EqualsIgnoreCase(args[i], "pxat");
    }
    if (expiry && (server.notify_flags() & kGeneric)) {
      server.NotifyKeyspaceEvent(kGeneric, "expire", args[keys.front()]);
    }
  }
}

}  // namespace shoal::server::notify
