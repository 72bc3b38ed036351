// The RouterOS REST shaper against the emulated router, over HTTP and HTTPS:
// queue tree, simple queue and queue type, id refresh, keep-alive, retries,
// credentials and every TLS verification mode.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>

#include "actuator_process.hpp"
#include "latest_block.hpp"
#include "object_name.hpp"
#include "records.hpp"
#include "ring.hpp"
#include "routeros_emulator_process.hpp"
#include "routeros_shaper.hpp"
#include "unique_name.hpp"

using namespace wanctl;
using namespace std::chrono_literals;

namespace {

constexpr std::uint64_t kMbit = 1'000'000;
constexpr const char* kPasswordVariable = "WANCTL_TEST_ROUTER_PASSWORD";

ActuatorConfig router_config(const std::string& url, const std::string& download_queue, const std::string& upload_queue,
                             RouterQueueKind kind = RouterQueueKind::tree) {
  ::setenv(kPasswordVariable, "test-password", 1);
  ActuatorConfig config;
  config.configured = true;
  config.backend = ActuatorBackend::routeros;
  config.retry_attempts = 3;
  config.retry_initial_ms = 20;
  config.retry_max_ms = 80;
  config.routeros.url = url;
  config.routeros.user = "wanctl";
  config.routeros.password_env = kPasswordVariable;
  config.routeros.request_timeout_ms = 1000;
  if (!download_queue.empty()) {
    config.directions[0] = ActuatorTarget{"", "", download_queue, kind, ""};
  }
  if (!upload_queue.empty()) {
    config.directions[1] = ActuatorTarget{"", "", upload_queue, kind, ""};
  }
  return config;
}

test::RouterOsEmulator plain_router() { return test::RouterOsEmulator({false, test::kRouterState, "test-password"}); }

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("routeros queue tree read and write") {
  auto router = plain_router();
  RouterOsShaper shaper(router_config(router.url(), "wan1-down", "wan1-up"));

  ShaperReading down = shaper.read(Direction::download);
  REQUIRE_MESSAGE(down.status == ShaperStatus::ok, down.error);
  CHECK(down.rate_bps == 0U);  // max-limit "0": unlimited, not a rate of zero
  REQUIRE(down.counters);
  CHECK(down.counters->bytes > 0U);

  ShaperReading up = shaper.read(Direction::upload);
  CHECK(up.rate_bps == 20 * kMbit);  // "20M"

  ShaperWrite write = shaper.write_rate(Direction::download, 40 * kMbit);
  REQUIRE_MESSAGE(write.status == ShaperStatus::ok, write.error);
  CHECK(write.confirmed_rate_bps == 40 * kMbit);
  CHECK(router.find("queue/tree", "wan1-down")["max-limit"] == "40000000");

  auto patches = router.requests("PATCH");
  REQUIRE(patches.size() == 1);
  CHECK(patches[0]["path"] == "/rest/queue/tree/*11");
  CHECK(nlohmann::json::parse(patches[0]["body"].get<std::string>()) == nlohmann::json{{"max-limit", "40000000"}});
}

TEST_CASE("routeros counters read by exact key") {
  std::string state = R"({"queue/tree": [{"name": "q", "max-limit": "10M", "queued-bytes": "999999",
                                          "bytes": "1234", "packets": "7", "dropped": "3", "queued-packets": "2"}]})";
  test::RouterOsEmulator router({false, state, "test-password"});
  RouterOsShaper shaper(router_config(router.url(), "q", ""));
  ShaperReading reading = shaper.read(Direction::download);
  REQUIRE(reading.counters);
  CHECK(reading.counters->bytes == 1234U);
  CHECK(reading.counters->backlog_bytes == 999999U);
  CHECK(reading.counters->packets == 7U);
  CHECK(reading.counters->drops == 3U);
  CHECK(reading.counters->backlog_packets == 2U);
}

TEST_CASE("routeros simple queue carries upload and download") {
  auto router = plain_router();
  RouterOsShaper shaper(router_config(router.url(), "wan2", "wan2", RouterQueueKind::simple));
  CHECK(shaper.read(Direction::download).rate_bps == 50 * kMbit);
  CHECK(shaper.read(Direction::upload).rate_bps == 10 * kMbit);

  REQUIRE(shaper.write_rate(Direction::download, 45 * kMbit).status == ShaperStatus::ok);
  CHECK(router.find("queue/simple", "wan2")["max-limit"] == "10000000/45000000");
  REQUIRE(shaper.write_rate(Direction::upload, 8 * kMbit).status == ShaperStatus::ok);
  CHECK(router.find("queue/simple", "wan2")["max-limit"] == "8000000/45000000");
  CHECK(shaper.read(Direction::download).rate_bps == 45 * kMbit);
}

TEST_CASE("routeros queue type cake bandwidth") {
  auto router = plain_router();
  RouterOsShaper shaper(router_config(router.url(), "cake-down", "pfifo-big", RouterQueueKind::type));
  CHECK(shaper.read(Direction::download).rate_bps == 100 * kMbit);
  REQUIRE(shaper.write_rate(Direction::download, 90 * kMbit).status == ShaperStatus::ok);
  CHECK(router.find("queue/type", "cake-down")["cake-bandwidth"] == "90000000");

  ShaperReading other = shaper.read(Direction::upload);
  CHECK(other.status == ShaperStatus::missing);
  CHECK_MESSAGE(contains(other.error, "queue type 'pfifo-big' is of kind 'pfifo', not cake"), other.error);
}

TEST_CASE("routeros queue not found") {
  auto router = plain_router();
  RouterOsShaper shaper(router_config(router.url(), "nope", ""));
  ShaperReading reading = shaper.read(Direction::download);
  CHECK(reading.status == ShaperStatus::missing);
  CHECK_MESSAGE(contains(reading.error, "queue tree 'nope' not found on " + router.url() + "/rest"), reading.error);
  ShaperWrite write = shaper.write_rate(Direction::download, 10 * kMbit);
  CHECK(write.status == ShaperStatus::missing);
  CHECK(router.requests("PATCH").empty());
}

TEST_CASE("routeros queue recreated with a new id") {
  auto router = plain_router();
  RouterOsShaper shaper(router_config(router.url(), "wan1-up", ""));
  REQUIRE(shaper.read(Direction::download).status == ShaperStatus::ok);
  std::string old_id = router.find("queue/tree", "wan1-up")[".id"];
  router.fault({{"recreate", {{"menu", "queue/tree"}, {"name", "wan1-up"}}}});
  std::string new_id = router.find("queue/tree", "wan1-up")[".id"];
  REQUIRE(old_id != new_id);
  router.clear_log();

  ShaperWrite write = shaper.write_rate(Direction::download, 15 * kMbit);
  REQUIRE_MESSAGE(write.status == ShaperStatus::ok, write.error);
  auto log = router.log();
  REQUIRE(log.size() == 3);
  CHECK(log[0]["path"] == "/rest/queue/tree/" + old_id);
  CHECK(log[0]["status"] == 404);
  CHECK(log[1]["method"] == "GET");
  CHECK(log[1]["query"] == "name=wan1-up");
  CHECK(log[2]["path"] == "/rest/queue/tree/" + new_id);
  CHECK(log[2]["status"] == 200);
}

TEST_CASE("routeros session keeps one connection") {
  auto router = plain_router();
  RouterOsShaper shaper(router_config(router.url(), "wan1-down", ""));
  for (int i = 0; i < 10; ++i) {
    REQUIRE(shaper.read(Direction::download).status == ShaperStatus::ok);
    REQUIRE(shaper.write_rate(Direction::download, (10 + i) * kMbit).status == ShaperStatus::ok);
  }
  auto log = router.log();
  REQUIRE(log.size() == 20);  // the first read looks the queue up by name, the rest by id
  for (const auto& entry : log) {
    CHECK(entry["connection"] == log[0]["connection"]);
  }
}

TEST_CASE("routeros retries 5xx and succeeds") {
  auto router = plain_router();
  RouterOsShaper shaper(router_config(router.url(), "wan1-down", ""));
  REQUIRE(shaper.read(Direction::download).status == ShaperStatus::ok);
  router.fault({{"status", 500}, {"count", 2}, {"method", "PATCH"}});
  ShaperWrite write = shaper.write_rate(Direction::download, 33 * kMbit);
  REQUIRE_MESSAGE(write.status == ShaperStatus::ok, write.error);
  CHECK(router.requests("PATCH").size() == 3);
}

TEST_CASE("routeros 5xx beyond the retries is not applied") {
  auto router = plain_router();
  RouterOsShaper shaper(router_config(router.url(), "wan1-down", ""));
  REQUIRE(shaper.read(Direction::download).status == ShaperStatus::ok);
  router.fault({{"status", 503}, {"count", 5}, {"method", "PATCH"}});
  ShaperWrite write = shaper.write_rate(Direction::download, 33 * kMbit);
  CHECK(write.status == ShaperStatus::transient);
  CHECK_MESSAGE(contains(write.error, "HTTP 503 Service Unavailable"), write.error);
  CHECK(router.requests("PATCH").size() == 3);
  CHECK(router.find("queue/tree", "wan1-down")["max-limit"] == "0");
}

TEST_CASE("routeros no retry on 4xx") {
  auto router = plain_router();
  RouterOsShaper shaper(router_config(router.url(), "wan1-down", ""));
  REQUIRE(shaper.read(Direction::download).status == ShaperStatus::ok);
  router.fault({{"status", 400}, {"count", 1}, {"method", "PATCH"}});
  ShaperWrite write = shaper.write_rate(Direction::download, 33 * kMbit);
  CHECK(write.status == ShaperStatus::rejected);
  CHECK_MESSAGE(contains(write.error, "PATCH " + router.url() + "/rest/queue/tree/*11: HTTP 400 Bad Request"),
                write.error);
  CHECK(router.requests("PATCH").size() == 1);
}

TEST_CASE("routeros retries a connection reset") {
  auto router = plain_router();
  RouterOsShaper shaper(router_config(router.url(), "wan1-down", ""));
  REQUIRE(shaper.read(Direction::download).status == ShaperStatus::ok);
  router.fault({{"reset", 1}, {"method", "PATCH"}});
  ShaperWrite write = shaper.write_rate(Direction::download, 21 * kMbit);
  REQUIRE_MESSAGE(write.status == ShaperStatus::ok, write.error);
  auto patches = router.requests("PATCH");
  REQUIRE(patches.size() == 2);
  CHECK(patches[0]["status"] == 0);
  CHECK(patches[1]["status"] == 200);
}

TEST_CASE("routeros retries a timeout") {
  auto router = plain_router();
  ActuatorConfig config = router_config(router.url(), "wan1-down", "");
  config.routeros.request_timeout_ms = 300;
  RouterOsShaper shaper(config);
  REQUIRE(shaper.read(Direction::download).status == ShaperStatus::ok);
  router.fault({{"delay_ms", 1200}, {"count", 1}, {"method", "PATCH"}});
  ShaperWrite write = shaper.write_rate(Direction::download, 22 * kMbit);
  REQUIRE_MESSAGE(write.status == ShaperStatus::ok, write.error);
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // the delayed request is logged when it ends
  CHECK(router.requests("PATCH").size() == 2);
}

TEST_CASE("routeros half a json document") {
  auto router = plain_router();
  RouterOsShaper shaper(router_config(router.url(), "wan1-down", ""));
  router.fault({{"garbage", 1}});
  ShaperReading reading = shaper.read(Direction::download);
  CHECK(reading.status == ShaperStatus::transient);
  CHECK_MESSAGE(contains(reading.error, "HTTP 200 with a body that is not JSON"), reading.error);
  CHECK(router.log().size() == 1);  // garbage is not retried at once
  CHECK(shaper.read(Direction::download).status == ShaperStatus::ok);
}

TEST_CASE("routeros wrong password stops with unauthorized") {
  auto router = plain_router();
  ActuatorConfig config = router_config(router.url(), "wan1-down", "");
  ::setenv(kPasswordVariable, "wrong-secret-123", 1);
  RouterOsShaper shaper(config);
  ShaperReading reading = shaper.read(Direction::download);
  CHECK(reading.status == ShaperStatus::unauthorized);
  CHECK_MESSAGE(contains(reading.error, "HTTP 401 Unauthorized"), reading.error);
  CHECK_FALSE(contains(reading.error, "wrong-secret-123"));
  CHECK(router.log().size() == 1);  // no retry on 401

  // A rotated password is read again after a 401.
  ::setenv(kPasswordVariable, "test-password", 1);
  CHECK(shaper.read(Direction::download).status == ShaperStatus::ok);
}

TEST_CASE("routeros expired credentials during writes") {
  auto router = plain_router();
  RouterOsShaper shaper(router_config(router.url(), "wan1-down", ""));
  REQUIRE(shaper.write_rate(Direction::download, 10 * kMbit).status == ShaperStatus::ok);
  router.fault({{"expire_credentials", true}});
  ShaperWrite write = shaper.write_rate(Direction::download, 11 * kMbit);
  CHECK(write.status == ShaperStatus::unauthorized);
  CHECK(router.find("queue/tree", "wan1-down")["max-limit"] == "10000000");
}

TEST_CASE("routeros password from a file") {
  auto router = plain_router();
  ActuatorConfig config = router_config(router.url(), "wan1-down", "");
  config.routeros.password_env.clear();
  config.routeros.password_file = "/tmp/wanctl-test-password-" + std::to_string(::getpid());
  std::ofstream(config.routeros.password_file) << "test-password\n";
  RouterOsShaper shaper(config);
  CHECK(shaper.read(Direction::download).status == ShaperStatus::ok);
  std::remove(config.routeros.password_file.c_str());

  config.routeros.password_file = "/nonexistent/router.pass";
  CHECK_THROWS_WITH_AS(RouterOsShaper{config}, doctest::Contains("cannot read password file /nonexistent/router.pass"),
                       std::runtime_error);
}

TEST_CASE("routeros https verifies with the test ca") {
  test::RouterOsEmulator router({true, test::kRouterState, "test-password"});
  ActuatorConfig config = router_config(router.url(), "wan1-down", "");
  config.routeros.ca_file = test::TestCertificates::get().ca_file();
  RouterOsShaper shaper(config);
  ShaperReading reading = shaper.read(Direction::download);
  REQUIRE_MESSAGE(reading.status == ShaperStatus::ok, reading.error);
  CHECK(shaper.write_rate(Direction::download, 12 * kMbit).status == ShaperStatus::ok);
}

TEST_CASE("routeros https rejects a certificate from another ca") {
  test::RouterOsEmulator router({true, test::kRouterState, "test-password"});
  ActuatorConfig config = router_config(router.url(), "wan1-down", "");
  config.routeros.ca_file = test::TestCertificates::get().other_ca_file();
  RouterOsShaper shaper(config);
  ShaperReading reading = shaper.read(Direction::download);
  CHECK(reading.status == ShaperStatus::rejected);
  CHECK_MESSAGE(contains(reading.error, "TLS certificate verification failed"), reading.error);
  CHECK(router.log().empty());  // no request, so no credentials, reached the server
}

TEST_CASE("routeros https rejects an unknown certificate by default") {
  test::RouterOsEmulator router({true, test::kRouterState, "test-password"});
  RouterOsShaper shaper(router_config(router.url(), "wan1-down", ""));
  CHECK(shaper.read(Direction::download).status == ShaperStatus::rejected);
  CHECK(router.log().empty());
}

TEST_CASE("routeros https pinned fingerprint") {
  test::RouterOsEmulator router({true, test::kRouterState, "test-password"});
  ActuatorConfig config = router_config(router.url(), "wan1-down", "");
  config.routeros.fingerprint_sha256 = test::TestCertificates::get().fingerprint();
  RouterOsShaper pinned(config);
  ShaperReading reading = pinned.read(Direction::download);
  REQUIRE_MESSAGE(reading.status == ShaperStatus::ok, reading.error);

  std::string wrong(64, '0');
  config.routeros.fingerprint_sha256 = wrong;
  RouterOsShaper mismatched(config);
  router.clear_log();
  ShaperReading refused = mismatched.read(Direction::download);
  CHECK(refused.status == ShaperStatus::rejected);
  CHECK_MESSAGE(contains(refused.error, "not the pinned " + wrong), refused.error);
  CHECK(router.log().empty());
}

TEST_CASE("routeros https verification off") {
  test::RouterOsEmulator router({true, test::kRouterState, "test-password"});
  ActuatorConfig config = router_config(router.url(), "wan1-down", "");
  config.routeros.verify_tls = false;
  RouterOsShaper shaper(config);
  CHECK(shaper.read(Direction::download).status == ShaperStatus::ok);
}

TEST_CASE("routeros unknown path gives 400 with detail") {
  auto router = plain_router();
  RouterOsClient client(router_config(router.url(), "x", "").routeros, RetryPolicy{});
  RestResult result = client.get("/queue/trees");
  CHECK(result.status == ShaperStatus::rejected);
  CHECK_MESSAGE(contains(result.error, "HTTP 400 Bad Request: no such command or directory (trees)"), result.error);
  RestResult missing = client.get("/queue/tree/*99");
  CHECK(missing.status == ShaperStatus::missing);
  CHECK_MESSAGE(contains(missing.error, "HTTP 404 Not Found"), missing.error);
  RestResult none = client.get("/queue/tree?name=none");
  CHECK(none.status == ShaperStatus::ok);
  CHECK(none.body == nlohmann::json::array());
}

TEST_CASE("routeros mangle rule found by comment and toggled") {
  auto router = plain_router();
  RouterOsClient client(router_config(router.url(), "x", "").routeros, RetryPolicy{});
  RestResult found = client.get("/ip/firewall/mangle?comment=wanctl-steer");
  REQUIRE(found.body.size() == 1);
  std::string id = found.body[0][".id"];
  RestResult toggled = client.patch("/ip/firewall/mangle/" + id, {{"disabled", "false"}});
  REQUIRE(toggled.status == ShaperStatus::ok);
  CHECK(toggled.body["disabled"] == "false");
  CHECK(toggled.body["new-routing-mark"] == "via-wan2");  // the whole object comes back
}

TEST_CASE("actuator binary drives routeros end to end") {
  std::string binary = test::program_path("WANCTL_ACTUATOR");
  REQUIRE(!binary.empty());
  auto router = plain_router();
  std::string instance = test::unique_instance("actros");
  test::ObjectCleanup decisions_cleanup(object_name(instance, "decisions"));
  test::ObjectCleanup telemetry_cleanup(object_name(instance, "telemetry"));
  ::setenv("WANCTL_E2E_ROUTER_PASSWORD", "test-password", 1);
  test::ActuatorConfigFile config(instance, "[actuator]\nbackend = \"routeros\"\ntelemetry_interval_ms = 200\n"
                                            "min_write_interval_ms = 1000\n"
                                            "[actuator.download]\nqueue = \"wan1-down\"\n"
                                            "[actuator.routeros]\nurl = \"" + router.url() + "\"\nuser = \"wanctl\"\n"
                                            "password_env = \"WANCTL_E2E_ROUTER_PASSWORD\"\ncredential_recheck_s = 3\n");
  auto ring = RingWriter<RateDecision>::open(object_name(instance, "decisions"), 64, false);
  std::string log_path = "/tmp/wanctl-actuator-test-" + instance + ".log";
  auto actuator = test::start_actuator(binary, {"--config", config.path}, log_path);
  REQUIRE(test::wait_until([&] { return std::filesystem::exists(object_path(object_name(instance, "telemetry"))); }, 3000ms));
  auto telemetry = BlockReader<LinkTelemetry>::open(object_name(instance, "telemetry"));

  auto decide = [&](std::uint64_t id, std::uint64_t rate_bps) {
    RateDecision record{};
    record.decision_id = id;
    record.time_mono_ns = monotonic_now_ns();
    record.cause_recv_mono_ns = record.time_mono_ns;
    record.directions[0].rate_bps = rate_bps;
    record.directions[0].apply = 1;
    ring.push(record);
  };

  // Three decisions within the write interval: the first is written at
  // once, then only the newest, a second later.
  decide(1, 30 * kMbit);
  std::this_thread::sleep_for(150ms);
  decide(2, 31 * kMbit);
  std::this_thread::sleep_for(150ms);
  decide(3, 32 * kMbit);
  REQUIRE_MESSAGE(test::wait_until([&] { return router.find("queue/tree", "wan1-down")["max-limit"] == "32000000"; },
                                   3000ms),
                  test::read_file(log_path));
  auto patches = router.requests("PATCH");
  REQUIRE(patches.size() == 2);
  CHECK(nlohmann::json::parse(patches[0]["body"].get<std::string>())["max-limit"] == "30000000");
  REQUIRE(test::wait_until([&] { return telemetry.read()->record.last_applied_decision_id == 3; }, 1000ms));

  // The emulated queue carries 8 Mbit/s; the first reading was a reference.
  REQUIRE(test::wait_until([&] { return telemetry.read()->record.directions[0].valid == 1; }, 2000ms));
  LinkTelemetry reading = telemetry.read()->record;
  CHECK(reading.directions[0].achieved_rate_bps > 7 * kMbit);
  CHECK(reading.directions[0].achieved_rate_bps < 9 * kMbit);
  CHECK(reading.directions[0].applied_rate_bps == 32 * kMbit);
  CHECK(reading.directions[0].device_state == DeviceState::ok);

  // Expired credentials: one failed request, then quiet until the recheck.
  router.fault({{"expire_credentials", true}});
  router.clear_log();
  decide(4, 20 * kMbit);
  REQUIRE(test::wait_until([&] { return telemetry.read()->record.directions[0].device_state == DeviceState::unauthorized; },
                           3000ms));
  std::this_thread::sleep_for(1500ms);
  CHECK(router.log().size() <= 2);
  CHECK(router.find("queue/tree", "wan1-down")["max-limit"] == "32000000");

  actuator.kill(SIGTERM);
  CHECK(actuator.wait_for(3000ms) == 0);
  std::string log = test::read_file(log_path);
  CHECK_MESSAGE(contains(log, "HTTP 401 Unauthorized"), log);
  CHECK_MESSAGE(contains(log, "plain HTTP"), log);
  CHECK_FALSE(contains(log, "test-password"));
  std::remove(log_path.c_str());
}

TEST_CASE("routeros queue type counters from a queue tree") {
  std::string state = R"({"queue/type": [{"name": "cake-up", "kind": "cake", "cake-bandwidth": "0"}],
                          "queue/tree": [{"name": "up-stats", "max-limit": "0", "queue": "cake-up",
                                          "bytes": "5000", "dropped": "2", "queued-bytes": "300"}]})";
  test::RouterOsEmulator router({false, state});
  ActuatorConfig config = router_config(router.url(), "", "cake-up", RouterQueueKind::type);
  config.directions[1]->stats_queue = "up-stats";
  RouterOsShaper shaper(config);
  ShaperReading reading = shaper.read(Direction::upload);
  REQUIRE_MESSAGE(reading.status == ShaperStatus::ok, reading.error);
  CHECK(reading.rate_bps == 0U);  // unlimited: the first decision is applied
  REQUIRE(reading.counters);
  CHECK(reading.counters->bytes == 5000U);
  CHECK(reading.counters->drops == 2U);
  CHECK(reading.counters->backlog_bytes == 300U);
  CHECK(shaper.write_rate(Direction::upload, 9 * kMbit).status == ShaperStatus::ok);
  CHECK(router.find("queue/type", "cake-up")["cake-bandwidth"] == "9000000");
}
