// Setting parameters by name: CONFIG SET, redis.conf-style text and files,
// and the final validation.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "config/config.h"
#include "config/param_builders.h"
#include "core/resp/request_parser.h"

namespace shoal::config {
namespace {

Status UnknownForConfigSet(std::string_view name) {
  return Status::InvalidArgument("Unknown option or number of arguments for CONFIG SET - '" +
                                 std::string(name) + "'");
}

Status InvalidForConfigSet(const Param& p, std::string_view value, const std::string& reason) {
  return Status::InvalidArgument("Invalid argument '" + std::string(value) + "' for CONFIG SET '" +
                                 p.name + "' - " + reason);
}

std::string JoinWords(const std::vector<std::string>& words, size_t from) {
  std::string out;
  for (size_t i = from; i < words.size(); ++i) {
    if (i > from) out += ' ';
    out += words[i];
  }
  return out;
}

}  // namespace

Status SetParam(ServerConfig& cfg, std::string_view name, std::string_view value) {
  const Param* p = FindParam(name);
  if (p == nullptr) return UnknownForConfigSet(name);
  Status s = p->set(cfg, value);
  if (!s.ok()) return InvalidForConfigSet(*p, value, s.message());
  return Status::Ok();
}

Status SetParamAtRuntime(ServerConfig& cfg, std::string_view name, std::string_view value) {
  const Param* p = FindParam(name);
  if (p == nullptr) return UnknownForConfigSet(name);
  if (!p->mutable_at_runtime) return InvalidForConfigSet(*p, value, "can't set immutable config");
  return SetParam(cfg, name, value);
}

Status ApplyConfigText(ServerConfig& cfg, std::string_view text) {
  // Redis 7 treats several `save` lines in one file as one list of save
  // points, so a stock redis.conf keeps all three of its lines.
  bool save_seen = false;
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);

    const std::string where = "line " + std::to_string(line_no) + ": ";
    const size_t first = line.find_first_not_of(" \t\r\f\v");
    if (first == std::string_view::npos || line[first] == '#') continue;
    std::vector<std::string> words;
    if (!resp::SplitInlineArgs(line, &words)) {
      return Status::InvalidArgument(where + "unbalanced quotes");
    }
    if (words.empty()) continue;
    const Param* p = FindParam(words[0]);
    if (p == nullptr) return Status::InvalidArgument(where + "unknown setting '" + words[0] + "'");
    if (words.size() < 2) {
      return Status::InvalidArgument(where + "'" + p->name + "': missing value");
    }
    std::string value = JoinWords(words, 1);
    if (p->name == "save") {
      if (save_seen && !value.empty()) {
        const std::string before = p->get(cfg);
        if (!before.empty()) value.insert(0, before + " ");
      }
      save_seen = true;
    }
    Status s = p->set(cfg, value);
    if (!s.ok()) return Status::InvalidArgument(where + "'" + p->name + "': " + s.message());
  }
  return Status::Ok();
}

Status ApplyConfigFile(ServerConfig& cfg, const std::string& path) {
  // A directory opens fine and reads as empty; say so instead of silently
  // running with defaults.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return Status::IoError("config file '" + path + "' is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("cannot open config file '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::IoError("cannot read config file '" + path + "'");
  Status s = ApplyConfigText(cfg, text.str());
  if (!s.ok()) return Status::InvalidArgument(path + ": " + s.message());
  return Status::Ok();
}

Status Validate(const ServerConfig& cfg) {
  // Fields can be set directly in code, so every field is checked again by
  // its own parameter's rules: what it reports must be accepted back.
  ServerConfig scratch = cfg;
  for (const Param& p : Params()) {
    const std::string value = p.get(cfg);
    Status s = p.set(scratch, value);
    if (!s.ok()) {
      return Status::InvalidArgument("'" + p.name + "' = '" + value + "': " + s.message());
    }
  }
  return Status::Ok();
}

}  // namespace shoal::config
