// The exporter's HTTP server (civetweb, as bundled with prometheus-cpp):
// GET /metrics in the Prometheus text format and GET /health as JSON.
#pragma once

#include <memory>
#include <string>

#include "shm_collector.hpp"

class CivetServer;

namespace wanctl {

class HttpEndpoint {
 public:
  // Starts listening. Throws std::runtime_error naming the address and port
  // and what to do when the address cannot be bound (e.g. the port is in use).
  HttpEndpoint(const ExporterConfig& config, ShmCollector& collector);
  ~HttpEndpoint();

  HttpEndpoint(const HttpEndpoint&) = delete;
  HttpEndpoint& operator=(const HttpEndpoint&) = delete;

  // The port actually bound; differs from the configured one when that is 0.
  int port() const { return port_; }

 private:
  class Handler;
  std::unique_ptr<Handler> handler_;
  std::unique_ptr<CivetServer> server_;
  int port_ = 0;
};

// "127.0.0.1:9470" or "[::1]:9470".
std::string listen_text(const std::string& address, int port);

}  // namespace wanctl
