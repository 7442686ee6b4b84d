#include "core/status.h"

namespace shoal {

std::string Status::ToString() const {
  const char* name = "OK";
  switch (code_) {
    case Code::kOk:
      return "OK";
    case Code::kNotFound:
      name = "NotFound";
      break;
    case Code::kInvalidArgument:
      name = "InvalidArgument";
      break;
    case Code::kCorruption:
      name = "Corruption";
      break;
    case Code::kIoError:
      name = "IOError";
      break;
    case Code::kBusy:
      name = "Busy";
      break;
    case Code::kUnavailable:
      name = "Unavailable";
      break;
  }
  return std::string(name) + ": " + msg_;
}

}  // namespace shoal
