// Argument documentation for COMMAND DOCS, which redis-cli turns into its
// input hints. Each command's syntax is written in a compact notation of
// our own and expanded into Redis's argument tree:
//   word          an argument; its type follows from its name (key, pattern,
//                 count -> integer...) or is given as word=type
//   TOKEN         a pure token (a literal keyword)
//   TOKEN:word    a token followed by a value ("EX:seconds")
//   (a|b|c)       one of
//   {a b}         a block of arguments that go together
//   suffix ?      optional; * optional and repeatable; + repeatable
#pragma once

#include <string_view>

#include "core/resp/writer.h"

namespace shoal::server {

// The syntax of a command or subcommand ("set", "client|kill"); empty if
// none is recorded.
std::string_view CommandSyntax(std::string_view name);

// Writes the "arguments" array of COMMAND DOCS for `syntax`. Returns false
// (writing nothing) if the syntax is empty.
bool WriteArgumentDocs(resp::Writer& w, std::string_view syntax);

}  // namespace shoal::server
