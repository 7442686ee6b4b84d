#include "client/client.h"

#include <asio.hpp>

namespace shoal::client {

struct Client::Impl {
  asio::io_context io;
  asio::ip::tcp::socket socket{io};
  ClientOptions options;
  std::string buffer;  // received, not yet parsed

  // Runs the io_context until `done` or the timeout; false on timeout.
  bool RunFor(const bool& done) {
    io.restart();
    io.run_for(options.timeout);
    return done;
  }
};

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() {
  std::error_code ec;
  impl_->socket.close(ec);
}

Result<std::unique_ptr<Client>> Client::Connect(const ClientOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  std::error_code ec;
  auto addr = asio::ip::make_address(options.host, ec);
  if (ec) return Status::InvalidArgument("bad address " + options.host);
  bool done = false;
  std::error_code result;
  impl->socket.async_connect(asio::ip::tcp::endpoint(addr, static_cast<uint16_t>(options.port)),
                             [&](const std::error_code& e) {
                               result = e;
                               done = true;
                             });
  if (!impl->RunFor(done)) return Status::Unavailable("connect timeout");
  if (result) return Status::Unavailable("connect: " + result.message());
  impl->socket.set_option(asio::ip::tcp::no_delay(true), ec);
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

namespace {
template <typename Args>
std::string EncodeMultibulk(const Args& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) {
    out += "$" + std::to_string(a.size()) + "\r\n";
    out.append(a);
    out += "\r\n";
  }
  return out;
}
}  // namespace

std::string Client::Encode(const std::vector<std::string>& args) { return EncodeMultibulk(args); }

std::string Client::Encode(std::span<const std::string_view> args) { return EncodeMultibulk(args); }

Status Client::SendRaw(std::string_view bytes) {
  bool done = false;
  std::error_code result;
  asio::async_write(impl_->socket, asio::buffer(bytes.data(), bytes.size()),
                    [&](const std::error_code& e, size_t) {
                      result = e;
                      done = true;
                    });
  if (!impl_->RunFor(done)) return Status::Unavailable("write timeout");
  if (result) return Status::Unavailable("write: " + result.message());
  return Status::Ok();
}

Result<resp::Value> Client::ReadReply() {
  char chunk[16384];
  while (true) {
    resp::Value v;
    size_t consumed = 0;
    auto r = resp::ReplyParser::Parse(impl_->buffer, &v, &consumed);
    if (r == resp::ReplyParser::Outcome::kValue) {
      impl_->buffer.erase(0, consumed);
      return v;
    }
    if (r == resp::ReplyParser::Outcome::kError) return Status::Corruption("bad reply bytes");
    if (impl_->buffer.size() > impl_->options.max_reply_bytes) {
      return Status::Corruption("reply too large");
    }
    bool done = false;
    std::error_code result;
    size_t n = 0;
    impl_->socket.async_read_some(asio::buffer(chunk), [&](const std::error_code& e, size_t len) {
      result = e;
      n = len;
      done = true;
    });
    if (!impl_->RunFor(done)) {
      std::error_code ec;
      impl_->socket.cancel(ec);
      return Status::Unavailable("read timeout");
    }
    if (result) return Status::Unavailable("read: " + result.message());
    impl_->buffer.append(chunk, n);
  }
}

Result<resp::Value> Client::Command(const std::vector<std::string>& args) {
  auto s = SendRaw(Encode(args));
  if (!s.ok()) return s;
  return ReadReply();
}

Result<std::vector<resp::Value>> Client::Pipeline(
    const std::vector<std::vector<std::string>>& cmds) {
  std::string out;
  for (const auto& c : cmds) out += Encode(c);
  auto s = SendRaw(out);
  if (!s.ok()) return s;
  std::vector<resp::Value> replies;
  replies.reserve(cmds.size());
  for (size_t i = 0; i < cmds.size(); ++i) {
    auto r = ReadReply();
    if (!r.ok()) return r.status();
    replies.push_back(std::move(r).value());
  }
  return replies;
}

}  // namespace shoal::client
