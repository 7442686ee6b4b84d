// Keyspace notifications (notify-keyspace-events, as in Redis): after a
// write command succeeds on the node whose leader applied it, events go to
// this node's subscribers of __keyspace@0__:<key> (message: the event) and
// __keyevent@0__:<event> (message: the key). Not sent to other nodes, as in
// Redis Cluster: a client subscribes on the node that leads the key.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "server/command.h"

namespace shoal::server {

class Server;

namespace notify {

// The classes of notify-keyspace-events.
enum : uint32_t {
  kKeyspace = 1u << 0,  // K
  kKeyevent = 1u << 1,  // E
  kGeneric = 1u << 2,   // g: DEL, EXPIRE, RENAME...
  kString = 1u << 3,    // $
  kList = 1u << 4,      // l
  kSet = 1u << 5,       // s
  kHash = 1u << 6,      // h
  kZset = 1u << 7,      // z
  kExpired = 1u << 8,   // x
  kEvicted = 1u << 9,   // e
  kStream = 1u << 10,   // t
  kKeyMiss = 1u << 11,  // m
  kModule = 1u << 12,   // d
  kNew = 1u << 13,      // n
};

// The flags of a notify-keyspace-events value (already validated).
uint32_t ParseFlags(std::string_view value);

// What AfterWrite needs to know of the keys before the command ran.
struct BeforeWrite {
  BeforeWrite() = default;
  BeforeWrite(Server& server, const CommandSpec& spec, Args args);
  bool dest_existed = false;  // *STORE: the destination existed
  std::vector<bool> existed;  // DEL / UNLINK: each key existed
};

// A write command finished with `reply` (raw RESP): raises its events when
// the reply says it changed something.
void AfterWrite(Server& server, const CommandSpec& spec, Args args, std::string_view reply,
                const BeforeWrite& before);

}  // namespace notify
}  // namespace shoal::server
