// Test helper: a tiny RESP server on the test's own io_context. It frames
// the requests it receives, asks a handler for each reply (canned bytes; an
// empty string sends nothing), and can misbehave on request: close after N
// requests, or dribble replies out one byte at a time.
#pragma once

#include <array>
#include <asio.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "client/reply_scanner.h"
#include "core/resp/value.h"

namespace shoal::client::testing {

class FakeRespServer {
 public:
  // Gets the request's arguments, returns the raw reply bytes.
  using Handler = std::function<std::string(const std::vector<std::string>& args)>;

  FakeRespServer(asio::io_context& io, Handler handler)
      : io_(io),
        acceptor_(io, {asio::ip::make_address("127.0.0.1"), 0}),
        handler_(std::move(handler)) {
    Accept();
  }

  int port() const { return acceptor_.local_endpoint().port(); }
  // Each connection answers this many requests, then closes once its
  // replies are written (later requests are read but never answered).
  size_t close_after_requests = std::numeric_limits<size_t>::max();
  // Write replies one byte per write, a millisecond apart.
  bool dribble = false;

  size_t accepted() const { return accepted_; }
  size_t requests() const { return requests_; }

 private:
  struct Session : std::enable_shared_from_this<Session> {
    Session(FakeRespServer* s, asio::ip::tcp::socket sock)
        : server(s), socket(std::move(sock)), timer(s->io_) {}
    FakeRespServer* server;
    asio::ip::tcp::socket socket;
    asio::steady_timer timer;
    std::string in;
    std::string out;
    size_t answered = 0;
    bool closing = false;
    bool writing = false;
    std::array<char, 4096> chunk{};

    void Read() {
      socket.async_read_some(asio::buffer(chunk),
                             [self = shared_from_this()](const std::error_code& ec, size_t n) {
                               if (ec) return;
                               self->in.append(self->chunk.data(), n);
                               self->Frame();
                               self->Read();
                             });
    }
    void Frame() {
      while (!closing) {
        auto r = ScanReply(in);  // requests are RESP arrays too
        if (r.outcome != ScanOutcome::kComplete) break;
        resp::Value v;
        size_t consumed = 0;
        (void)resp::ReplyParser::Parse(in, &v, &consumed);
        in.erase(0, r.length);
        std::vector<std::string> args;
        for (auto& e : v.elements) args.push_back(std::move(e.str));
        ++server->requests_;
        out += server->handler_(args);
        if (++answered >= server->close_after_requests) closing = true;
      }
      Write();
    }
    void Write() {
      if (writing) return;
      if (out.empty()) {
        if (closing) socket.close();
        return;
      }
      writing = true;
      const size_t n = server->dribble ? 1 : out.size();
      auto self = shared_from_this();
      asio::async_write(socket, asio::buffer(out.data(), n),
                        [self, n](const std::error_code& ec, size_t) {
                          self->writing = false;
                          if (ec) return;
                          self->out.erase(0, n);
                          if (!self->server->dribble) {
                            self->Write();
                            return;
                          }
                          self->timer.expires_after(std::chrono::milliseconds(1));
                          self->timer.async_wait([self](const std::error_code&) { self->Write(); });
                        });
    }
  };

  void Accept() {
    acceptor_.async_accept([this](const std::error_code& ec, asio::ip::tcp::socket sock) {
      if (ec) return;
      ++accepted_;
      sock.set_option(asio::ip::tcp::no_delay(true));
      std::make_shared<Session>(this, std::move(sock))->Read();
      Accept();
    });
  }

  asio::io_context& io_;
  asio::ip::tcp::acceptor acceptor_;
  Handler handler_;
  size_t accepted_ = 0;
  size_t requests_ = 0;
};

// Runs `io` until `done()` or `limit` passes; false on timeout.
template <typename Pred>
bool RunUntil(asio::io_context& io, Pred done,
              std::chrono::milliseconds limit = std::chrono::milliseconds(10000)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    io.restart();
    io.run_one_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace shoal::client::testing
