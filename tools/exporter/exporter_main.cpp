// wanctl-exporter: serves Prometheus metrics and a health document for the
// WAN instances of this host. It maps every object read-only and never acts
// as a ring consumer, so neither a crash nor a slow scrape can disturb the
// control path.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <thread>

#include "apply_latency.hpp"
#include "exporter_config.hpp"
#include "http_endpoint.hpp"
#include "logging.hpp"
#include "service_notify.hpp"
#include "shm_collector.hpp"

#ifndef WANCTL_SYSCONFDIR
#define WANCTL_SYSCONFDIR "/etc"
#endif

using namespace wanctl;

namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) {
    text += (text.empty() ? "" : ",") + name;
  }
  return text;
}

// Blocks SIGINT and SIGTERM in every thread and returns when one arrives.
void wait_for_stop_signal() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  int received = 0;
  sigwait(&signals, &received);
  spdlog::info("received {}, stopping", received == SIGINT ? "SIGINT" : "SIGTERM");
}

int run(const ExporterConfig& config) {
  if (!is_loopback_address(config.listen_address)) {
    spdlog::warn("listening on {}, which is not a loopback address: other hosts can read the metrics",
                 config.listen_address);
  }

  auto histograms = std::make_shared<prometheus::Registry>();
  ApplyLatencyFollower follower(*histograms, config.instances);
  ShmCollector collector(config, histograms);
  HttpEndpoint endpoint(config, collector);
  spdlog::info("serving /metrics and /health on {} for {}", listen_text(config.listen_address, endpoint.port()),
               joined(config.instances));

  std::jthread follow([&follower](std::stop_token stop) { follower.run(stop, [] { service::watchdog_ping(); }); });
  service::ready("serving on " + listen_text(config.listen_address, endpoint.port()));
  wait_for_stop_signal();
  service::stopping();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Serve Prometheus metrics and /health for the wanctl instances of this host, read-only."};
  std::string config_path = WANCTL_SYSCONFDIR "/wanctl/exporter.toml";
  app.add_option("-c,--config", config_path, "exporter configuration file")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  // Signals are blocked before any thread starts, so only sigwait sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  ExporterConfig config;
  try {
    config = load_exporter_config(config_path);
  } catch (const ConfigError& error) {
    std::fprintf(stderr, "%s\n", error.what());
    return 1;
  }

  try {
    make_stage_logger("exporter", joined(config.instances), config.logging);
    return run(config);
  } catch (const std::exception& error) {
    spdlog::error("{}", error.what());
    return 1;
  }
}
