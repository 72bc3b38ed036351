// wanctl-exporter as an operator runs it: a real process scraped over
// loopback while the test process writes the pipeline's objects.
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "exposition_parser.hpp"
#include "http_get.hpp"
#include "mono_time.hpp"
#include "process.hpp"
#include "run_command.hpp"
#include "synthetic_pipeline.hpp"

using namespace wanctl;
using namespace std::chrono_literals;

namespace {

std::string exporter() { return test::program_path("WANCTL_EXPORTER"); }

// A running exporter for one instance, with its log in a file.
class ExporterProcess {
 public:
  ExporterProcess(const std::string& instance, const std::string& extra_config = "", int port = 0)
      : config_path_("/tmp/" + instance + ".exporter.toml"), log_path_("/tmp/" + instance + ".exporter.log") {
    std::ofstream(config_path_) << "[exporter]\nport = " << port << "\ninstances = [\"" << instance << "\"]\n"
                                << extra_config;
    process_.emplace(test::ChildProcess::start(
        {"/bin/sh", "-c", "exec " + exporter() + " --config " + config_path_ + " 2>" + log_path_}));
  }

  ~ExporterProcess() {
    process_.reset();
    std::remove(config_path_.c_str());
    std::remove(log_path_.c_str());
  }

  // Waits for the "serving ... on 127.0.0.1:PORT" line and returns PORT, or
  // 0 when the exporter exited or did not start in time.
  int wait_until_serving() {
    static const std::regex serving("serving /metrics and /health on 127\\.0\\.0\\.1:([0-9]+)");
    for (int attempt = 0; attempt < 200; ++attempt) {
      std::smatch match;
      std::string text = log();
      if (std::regex_search(text, match, serving)) {
        return std::stoi(match[1]);
      }
      if (exit_status(10ms)) {
        return 0;
      }
    }
    return 0;
  }

  std::optional<int> exit_status(std::chrono::milliseconds timeout) {
    if (!status_) {
      status_ = process_->wait_for(timeout);
    }
    return status_;
  }

  void stop() { process_->kill(SIGTERM); }
  pid_t pid() const { return process_->pid(); }
  std::string log() const { return test::read_file(log_path_); }

 private:
  std::string config_path_;
  std::string log_path_;
  std::optional<test::ChildProcess> process_;
  std::optional<int> status_;
};

test::Exposition scrape(int port) {
  test::HttpResponse response = test::http_get(port, "/metrics");
  REQUIRE(response.status == 200);
  CHECK(response.headers.find("Content-Type: text/plain; version=0.0.4") != std::string::npos);
  return test::parse_exposition(response.body);
}

// The series key as the parser stores it, labels sorted by name.
std::string labels(const std::string& instance, std::map<std::string, std::string> more = {}) {
  more["instance"] = instance;
  std::string key;
  for (const auto& [name, value] : more) {
    key += (key.empty() ? "{" : ",") + name + "=\"" + value + "\"";
  }
  return key + "}";
}

}  // namespace

TEST_CASE("exposition parser rejects malformed text") {
  CHECK_NOTHROW(test::parse_exposition("# TYPE a_total counter\na_total{x=\"1\"} 3\n"));
  CHECK_THROWS_AS(test::parse_exposition("a{x=1} 3\n"), test::ExpositionError);
  CHECK_THROWS_AS(test::parse_exposition("a 3"), test::ExpositionError);
  CHECK_THROWS_AS(test::parse_exposition("a 3\na 4\n"), test::ExpositionError);
  CHECK_THROWS_AS(test::parse_exposition("a 1\nb 1\na{x=\"2\"} 1\n"), test::ExpositionError);
  CHECK_THROWS_AS(test::parse_exposition("# TYPE c counter\nc 1\n"), test::ExpositionError);
  CHECK_THROWS_AS(test::parse_exposition("a three\n"), test::ExpositionError);
  CHECK_THROWS_AS(test::parse_exposition("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"
                                         "h_count 1\n"),
                  test::ExpositionError);
  CHECK_THROWS_AS(test::parse_exposition("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_count 3\n"),
                  test::ExpositionError);
}

TEST_CASE("exporter metrics follow the pipeline") {
  std::string instance = test::unique_instance("exp");
  test::SyntheticPipeline pipeline(instance);
  for (int i = 0; i <= 30; ++i) {
    pipeline.step(i, monotonic_now_ns());
  }

  // A consumer that fell behind: 64 records in a 64-slot ring after 93 pushes.
  auto consumer = RingReader<ProbeSample>::consumer(object_name(instance, "samples"),
                                                    test::SyntheticPipeline::kSamplesCapacity);
  REQUIRE(consumer.try_read());
  std::uint64_t overruns = consumer.lost();
  REQUIRE(overruns > 0);

  pipeline.restart_prober();
  pipeline.step(31, monotonic_now_ns());

  ExporterProcess process(instance);
  int port = process.wait_until_serving();
  REQUIRE_MESSAGE(port > 0, process.log());
  test::Exposition metrics = scrape(port);
  test::SyntheticStep step = test::synthetic_step(31);

  CHECK(metrics.types["wanctl_shaper_rate_bits_per_second"] == "gauge");
  CHECK(metrics.value("wanctl_shaper_rate_bits_per_second" + labels(instance, {{"direction", "download"}})) ==
        doctest::Approx(static_cast<double>(step.rate_bps)));
  CHECK(metrics.value("wanctl_congestion_state" + labels(instance, {{"direction", "download"}, {"state", "RED"}})) ==
        (step.state == CongestionState::red ? 1.0 : 0.0));
  CHECK(metrics.value("wanctl_congestion_state" + labels(instance, {{"direction", "download"}, {"state", "GREEN"}})) ==
        (step.state == CongestionState::green ? 1.0 : 0.0));
  CHECK(metrics.value("wanctl_smoothed_delay_delta_seconds" + labels(instance, {{"direction", "download"}})) ==
        doctest::Approx(step.queue_us * 3 / 4 / 1e6));
  CHECK(metrics.value("wanctl_achieved_rate_bits_per_second" + labels(instance, {{"direction", "download"}})) ==
        doctest::Approx(static_cast<double>(step.rate_bps * 9 / 10)));
  CHECK(metrics.value("wanctl_shaper_drops_total" + labels(instance, {{"direction", "download"}})) ==
        static_cast<double>(test::SyntheticPipeline::drops(31)));

  std::map<std::string, std::string> reflector1 = {{"path", "rtt"}, {"reflector", "192.0.2.11"}};
  CHECK(metrics.value("wanctl_reflector_baseline_seconds" + labels(instance, reflector1)) ==
        doctest::Approx(test::SyntheticPipeline::baseline_rtt_us(1) / 1e6));
  CHECK(metrics.value("wanctl_reflector_delay_delta_seconds" + labels(instance, reflector1)) ==
        doctest::Approx(step.queue_us / 1e6));
  CHECK(metrics.value("wanctl_reflector_loss_ratio" + labels(instance, {{"reflector", "192.0.2.12"}})) ==
        doctest::Approx(0.25));

  CHECK(metrics.types["wanctl_probes_sent_total"] == "counter");
  CHECK(metrics.value("wanctl_probes_sent_total" + labels(instance)) ==
        static_cast<double>(test::SyntheticPipeline::probes_sent(31)));
  CHECK(metrics.value("wanctl_probe_send_errors_total" + labels(instance)) == 2.0);
  CHECK(metrics.value("wanctl_prober_sockets_open" + labels(instance)) == 1.0);
  CHECK(metrics.value("wanctl_decisions_total" + labels(instance)) == 32.0);
  CHECK(metrics.value("wanctl_device_writes_total" + labels(instance)) == 31.0);
  CHECK(metrics.value("wanctl_device_write_errors_total" + labels(instance)) == 1.0);
  CHECK(metrics.value("wanctl_ring_overruns_total" + labels(instance, {{"object", "samples"}})) ==
        static_cast<double>(overruns));
  CHECK(metrics.value("wanctl_ring_records_total" + labels(instance, {{"object", "decisions"}})) == 32.0);
  CHECK(metrics.value("wanctl_producer_epoch" + labels(instance, {{"object", "samples"}})) == 2.0);
  CHECK(metrics.value("wanctl_producer_restarts_total" + labels(instance, {{"object", "samples"}})) == 1.0);
  CHECK(metrics.value("wanctl_producer_restarts_total" + labels(instance, {{"object", "status"}})) == 0.0);
  CHECK(metrics.value("wanctl_stage_up" + labels(instance, {{"stage", "actuator"}})) == 1.0);

  // The exporter is an observer only: the consumer's cursor and registration
  // are exactly as the consumer left them.
  const ShmHeader& header = consumer.object().header();
  CHECK(header.consumer_pid.load() == static_cast<std::uint64_t>(::getpid()));
  CHECK(header.consumer_index.load() == consumer.position());
  CHECK(header.sleeping_readers.load() == 0);
}

TEST_CASE("exporter latency histogram counts confirmed decisions") {
  std::string instance = test::unique_instance("lat");
  test::SyntheticPipeline pipeline(instance);
  pipeline.step(0, monotonic_now_ns());

  ExporterProcess process(instance);
  int port = process.wait_until_serving();
  REQUIRE_MESSAGE(port > 0, process.log());

  // The follower reads the block every 50 ms; each confirmation stays
  // published for 150 ms, so every one is seen. The first reading it made
  // (decision 1) is only its reference.
  std::this_thread::sleep_for(200ms);
  const std::int64_t latencies_ns[] = {3'000'000, 3'000'000, 40'000'000, 700'000'000};
  std::uint64_t decision = 1;
  for (std::int64_t latency_ns : latencies_ns) {
    pipeline.confirm_decision(++decision, latency_ns, monotonic_now_ns());
    std::this_thread::sleep_for(150ms);
  }

  test::Exposition metrics = scrape(port);
  std::string family = "wanctl_sample_to_shaper_latency_seconds";
  CHECK(metrics.types[family] == "histogram");
  CHECK(metrics.value(family + "_count" + labels(instance)) == 4.0);
  CHECK(metrics.value(family + "_sum" + labels(instance)) == doctest::Approx(0.746));
  CHECK(metrics.value(family + "_bucket" + labels(instance, {{"le", "0.005"}})) == 2.0);
  CHECK(metrics.value(family + "_bucket" + labels(instance, {{"le", "0.05"}})) == 3.0);
  CHECK(metrics.value(family + "_bucket" + labels(instance, {{"le", "0.5"}})) == 3.0);
  CHECK(metrics.value(family + "_bucket" + labels(instance, {{"le", "1"}})) == 4.0);
}

TEST_CASE("exporter health turns 503 when a heartbeat stops") {
  std::string instance = test::unique_instance("health");
  test::SyntheticPipeline pipeline(instance);
  int step = 0;
  pipeline.step(step++, monotonic_now_ns());

  ExporterProcess process(instance, "stale_after_s = 0.5\n");
  int port = process.wait_until_serving();
  REQUIRE_MESSAGE(port > 0, process.log());

  test::HttpResponse healthy = test::http_get(port, "/health");
  CHECK(healthy.status == 200);
  CHECK(healthy.headers.find("Content-Type: application/json") != std::string::npos);
  CHECK(healthy.body.find("\"status\": \"healthy\"") != std::string::npos);
  CHECK(healthy.body.find("\"last_error\": \"reflector 192.0.2.12 timed out\"") != std::string::npos);

  // The actuator stops; prober and estimator keep publishing.
  pipeline.stop_actuator();
  for (int i = 0; i < 10; ++i) {
    std::this_thread::sleep_for(100ms);
    pipeline.step(step++, monotonic_now_ns());
  }
  test::HttpResponse stale = test::http_get(port, "/health");
  CHECK(stale.status == 503);
  CHECK(stale.body.find("\"status\": \"unhealthy\"") != std::string::npos);
  std::regex actuator_stale("\"actuator\": \\{[^}]*\"status\": \"stale\"");
  CHECK(std::regex_search(stale.body, actuator_stale));
  std::regex prober_healthy("\"prober\": \\{[^}]*\"status\": \"healthy\"");
  CHECK(std::regex_search(stale.body, prober_healthy));

  test::Exposition metrics = scrape(port);
  CHECK(metrics.value("wanctl_stage_up" + labels(instance, {{"stage", "actuator"}})) == 0.0);
  CHECK(metrics.value("wanctl_stage_up" + labels(instance, {{"stage", "prober"}})) == 1.0);
}

TEST_CASE("exporter health reports missing objects") {
  std::string instance = test::unique_instance("missing");
  ExporterProcess process(instance, "required_stages = [\"prober\"]\n");
  int port = process.wait_until_serving();
  REQUIRE_MESSAGE(port > 0, process.log());

  test::HttpResponse missing = test::http_get(port, "/health");
  CHECK(missing.status == 503);
  CHECK(missing.body.find("wanctl." + instance + ".samples does not exist") != std::string::npos);

  // Objects that appear after the exporter started are found.
  test::SyntheticPipeline pipeline(instance);
  pipeline.step(0, monotonic_now_ns());
  test::HttpResponse found = test::http_get(port, "/health");
  CHECK(found.status == 200);

  CHECK(test::http_get(port, "/nothing").status == 404);
}

TEST_CASE("exporter reports a port in use and exits") {
  auto [listener, port] = test::listen_on_free_port();
  std::string instance = test::unique_instance("busy");
  ExporterProcess process(instance, "", port);

  std::optional<int> status = process.exit_status(10s);
  ::close(listener);
  REQUIRE(status.has_value());
  CHECK(*status == 1);
  std::string log = process.log();
  CHECK(log.find("cannot listen on 127.0.0.1:" + std::to_string(port)) != std::string::npos);
  CHECK(log.find("Address already in use") != std::string::npos);
  CHECK(log.find("choose another exporter.port") != std::string::npos);
}

TEST_CASE("exporter rejects an invalid config") {
  std::string path = "/tmp/" + test::unique_instance("badexp") + ".toml";
  std::ofstream(path) << "[exporter]\nlisten_address = \"localhost\"\ninstances = []\n";
  test::CommandResult result = test::run_command(exporter() + " --config " + path);
  std::remove(path.c_str());
  CHECK(result.status == 1);
  CHECK(result.err == path + ":2:18: exporter.listen_address = \"localhost\": is not a numeric IPv4 or IPv6 "
                             "address; use \"127.0.0.1\" or \"::1\" for this host only\n" +
                         path + ":3:13: exporter.instances = []: the list is empty; name at least one WAN instance\n");
}

namespace {

// CPU time a process used so far (user + system), from /proc/PID/stat.
double cpu_seconds(pid_t pid) {
  std::string stat = test::read_file("/proc/" + std::to_string(pid) + "/stat");
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string field;
  long ticks = 0;
  for (int index = 3; fields >> field; ++index) {
    if (index == 14 || index == 15) {
      ticks += std::stol(field);
    }
  }
  return static_cast<double>(ticks) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

}  // namespace

TEST_CASE("exporter scrape cost") {
  std::string instance = test::unique_instance("cost");
  test::SyntheticPipeline pipeline(instance);
  pipeline.step(30, monotonic_now_ns());
  ExporterProcess process(instance);
  int port = process.wait_until_serving();
  REQUIRE_MESSAGE(port > 0, process.log());

  // Idle: only the latency follower runs.
  double idle_before_s = cpu_seconds(process.pid());
  std::this_thread::sleep_for(2s);
  double idle_cpu_s = cpu_seconds(process.pid()) - idle_before_s;

  constexpr int kScrapes = 200;
  std::vector<double> latencies_ms;
  double busy_before_s = cpu_seconds(process.pid());
  for (int i = 0; i < kScrapes; ++i) {
    auto start = std::chrono::steady_clock::now();
    test::HttpResponse response = test::http_get(port, "/metrics");
    latencies_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    REQUIRE(response.status == 200);
  }
  double scrape_cpu_ms = (cpu_seconds(process.pid()) - busy_before_s) * 1000.0 / kScrapes;
  std::sort(latencies_ms.begin(), latencies_ms.end());

  MESSAGE("scrape of one instance: median " << latencies_ms[kScrapes / 2] << " ms, p99 "
                                            << latencies_ms[kScrapes * 99 / 100] << " ms, exporter CPU "
                                            << scrape_cpu_ms << " ms per scrape; idle CPU " << idle_cpu_s * 1000.0 / 2.0
                                            << " ms per s");
  // Loose bounds that still catch a scrape gone quadratic or a busy loop.
  CHECK(latencies_ms[kScrapes / 2] < 50.0);
  CHECK(idle_cpu_s < 0.2);
}
