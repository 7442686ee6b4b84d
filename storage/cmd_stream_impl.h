// Internal to the stream command files (storage/cmd_stream*.cc): the
// collection helpers they all use, and the commands defined outside the
// files that list them. coll::StreamImpls() (storage/cmd_stream.cc) and
// coll::StreamGroupImpls() (storage/cmd_stream_group.cc) collect them; each
// takes the whole argv and replies through env.out.
#pragma once

#include "storage/coll.h"
#include "storage/coll_members.h"
#include "storage/stream.h"
#include "storage/stream_util.h"

namespace shoal::storage::stream {

using coll::Cursor;
using coll::Is;
using coll::Locked;
using coll::PrefixEnd;
using coll::SubKey;
using coll::SubPrefix;
using coll::WrongArity;

// storage/cmd_stream_read.cc
void Xread(Env& env, Argv argv);
// storage/cmd_stream_info.cc
void Xinfo(Env& env, Argv argv);
// storage/cmd_stream_pending.cc
void Xpending(Env& env, Argv argv);
void Xclaim(Env& env, Argv argv);
void Xautoclaim(Env& env, Argv argv);

}  // namespace shoal::storage::stream
