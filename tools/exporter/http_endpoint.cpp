#include "http_endpoint.hpp"

#include <CivetServer.h>
#include <prometheus/text_serializer.h>
#include <spdlog/spdlog.h>

#include <mutex>
#include <stdexcept>

namespace wanctl {
namespace {

// civetweb reports why it could not start only through its log callback.
std::mutex startup_log_mutex;
std::string startup_log;

int capture_log(const mg_connection*, const char* message) {
  std::lock_guard lock(startup_log_mutex);
  if (!startup_log.empty()) {
    startup_log += "; ";
  }
  startup_log += message;
  return 1;  // handled: civetweb prints nothing itself
}

void send(mg_connection* connection, int status, const char* reason, const char* content_type,
          const std::string& body) {
  mg_printf(connection,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nCache-Control: no-store\r\n"
            "Connection: close\r\n\r\n",
            status, reason, content_type, body.size());
  mg_write(connection, body.data(), body.size());
}

}  // namespace

std::string listen_text(const std::string& address, int port) {
  bool ipv6 = address.find(':') != std::string::npos;
  return (ipv6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

class HttpEndpoint::Handler : public CivetHandler {
 public:
  explicit Handler(ShmCollector& collector) : collector_(collector) {}

  bool handleGet(CivetServer*, mg_connection* connection) override {
    const mg_request_info* request = mg_get_request_info(connection);
    std::string path = request->local_uri != nullptr ? request->local_uri : "";
    try {
      if (path == "/metrics") {
        send(connection, 200, "OK", "text/plain; version=0.0.4; charset=utf-8",
             prometheus::TextSerializer().Serialize(collector_.Collect()));
      } else if (path == "/health") {
        bool healthy = false;
        std::string body = health_json(collector_.health(), collector_.stale_after_s(), healthy);
        send(connection, healthy ? 200 : 503, healthy ? "OK" : "Service Unavailable", "application/json", body);
      } else {
        send(connection, 404, "Not Found", "text/plain; charset=utf-8",
             "not found: " + path + "; wanctl-exporter serves /metrics and /health\n");
      }
    } catch (const std::exception& error) {
      // A scrape must never take the exporter down; report and carry on.
      spdlog::error("serving {} failed: {}", path, error.what());
      send(connection, 500, "Internal Server Error", "text/plain; charset=utf-8", std::string(error.what()) + "\n");
    }
    return true;
  }

 private:
  ShmCollector& collector_;
};

HttpEndpoint::HttpEndpoint(const ExporterConfig& config, ShmCollector& collector)
    : handler_(std::make_unique<Handler>(collector)) {
  std::string where = listen_text(config.listen_address, config.port);
  std::vector<std::string> options = {"listening_ports", where, "num_threads", std::to_string(config.http_threads),
                                      "request_timeout_ms", "10000"};
  CivetCallbacks callbacks;
  callbacks.log_message = capture_log;

  try {
    server_ = std::make_unique<CivetServer>(options, &callbacks);
  } catch (const CivetException&) {
    std::lock_guard lock(startup_log_mutex);
    throw std::runtime_error("cannot listen on " + where + ": " + (startup_log.empty() ? "unknown error" : startup_log) +
                             "; another program may use the port: choose another exporter.port in " + config.path);
  }
  server_->addHandler("/", handler_.get());

  std::vector<int> ports = server_->getListeningPorts();
  port_ = ports.empty() ? config.port : ports.front();
}

HttpEndpoint::~HttpEndpoint() = default;

}  // namespace wanctl
