// The steering service's cycle with a fake device: adoption at start,
// failures, retries, changes made outside wanctl, the status block and the
// history across restarts. Time is the test's own.
#include <doctest/doctest.h>

#include <cstring>
#include <optional>

#include "fake_action.hpp"
#include "object_name.hpp"
#include "run_command.hpp"
#include "steering_harness.hpp"
#include "steering_service.hpp"

using namespace wanctl;
using namespace wanctl::test;

namespace {

constexpr std::int64_t kCycleNs = 100'000'000;

class ServiceFixture {
 public:
  ServiceFixture()
      : site_(unique_instance("site")),
        status_cleanup_(object_name(site_, "steering")),
        primary_(unique_instance("primary")),
        alternate_(unique_instance("alternate")),
        device_(std::make_shared<FakeDevice>()),
        now_ns_(monotonic_now_ns()) {
    config_.site = site_;
    config_.primary = primary_.instance();
    config_.alternate = alternate_.instance();
    config_.history_file = "/tmp/wanctl-steering-test-" + site_ + ".json";
    config_.retry_initial_ms = 500;
    config_.retry_max_ms = 4000;
    config_.verify_interval_s = 10;
    std::remove(config_.history_file.c_str());
    primary_.publish(healthy(), now_ns_);
    alternate_.publish(healthy(), now_ns_);
  }

  ~ServiceFixture() { std::remove(config_.history_file.c_str()); }

  void start() { service_.emplace(config_, std::make_unique<FakeAction>(device_), false); }
  void stop() { service_.reset(); }

  // Runs cycles for `seconds`, publishing both WANs every cycle.
  void run(double seconds, bool primary_congested) {
    auto cycles = static_cast<int>(seconds * 1e9 / kCycleNs + 0.5);
    for (int i = 0; i < cycles; ++i) {
      now_ns_ += kCycleNs;
      ++tick_;
      primary_.publish(primary_congested ? congested(tick_) : healthy(), now_ns_);
      alternate_.publish(healthy(), now_ns_);
      service_->cycle(now_ns_);
    }
  }

  SteeringStatus status() {
    auto reader = BlockReader<SteeringStatus>::open(object_name(site_, "steering"));
    auto snapshot = reader.read();
    REQUIRE(snapshot);
    return snapshot->record;
  }

  SteeringConfig& config() { return config_; }
  FakeDevice& device() { return *device_; }
  SteeringService& service() { return *service_; }

 private:
  std::string site_;
  ObjectCleanup status_cleanup_;
  WanBlocks primary_;
  WanBlocks alternate_;
  std::shared_ptr<FakeDevice> device_;
  SteeringConfig config_;
  std::int64_t now_ns_;
  std::uint64_t tick_ = 0;
  std::optional<SteeringService> service_;
};

std::string text(const char* field) { return field; }

}  // namespace

TEST_CASE("service adopts the device state at start") {
  ServiceFixture fixture;
  fixture.device().steered = true;
  fixture.start();
  fixture.run(1.0, false);

  CHECK(fixture.service().device_known());
  CHECK(fixture.service().steered());
  CHECK(fixture.device().writes == 0);  // a start never flips the rule

  SteeringStatus status = fixture.status();
  CHECK(status.steered == 1);
  CHECK(status.action_state == DeviceState::ok);
  REQUIRE(status.transition_count == 1);
  CHECK(text(status.transitions[0].reason) == "adopted at start: the rule was active on the device");
}

TEST_CASE("service writes nothing until the device was read") {
  ServiceFixture fixture;
  fixture.device().failures_left = 3;
  fixture.start();
  fixture.run(6.0, true);  // congested long enough to steer, but the device is unknown at first

  CHECK(fixture.device().reads >= 4);
  CHECK(fixture.service().device_known());
  // Reads fail at 0.1, 0.6 and 1.6 s (backoff 0.5, 1, 2 s) and succeed at
  // 3.6 s. The primary is RED since 0.1 s, so steering follows at 4.1 s.
  CHECK(fixture.service().steered());
  SteeringStatus status = fixture.status();
  CHECK(status.action_errors == 3);
  CHECK(status.action_state == DeviceState::ok);
}

TEST_CASE("service failure leaves the decision unchanged and retries with backoff") {
  ServiceFixture fixture;
  fixture.start();
  fixture.run(1.0, false);
  REQUIRE(fixture.service().device_known());

  fixture.device().failures_left = 4;
  fixture.run(4.05, true);  // RED from the first cycle: the change is wanted at 4.0 s
  int applies_at_first_try = fixture.device().applies;
  CHECK(applies_at_first_try == 1);
  CHECK_FALSE(fixture.service().steered());

  SteeringStatus failing = fixture.status();
  CHECK(failing.steered == 0);
  CHECK(failing.wanted_steered == 1);
  CHECK(failing.action_state == DeviceState::failing);
  CHECK(text(failing.last_error) == "fake device rejected the change");
  CHECK(failing.next_retry_ns > failing.time_mono_ns);
  CHECK(text(failing.hold_reason).find("change pending") == 0);
  CHECK(failing.transition_count == 0);

  // The first try at 5.1 s fails. The retries at 5.6, 6.6 and 8.6 s (backoff
  // 0.5, 1 and 2 s) fail too. The next one, 4 s later (the maximum), succeeds.
  fixture.run(3.0, true);
  CHECK(fixture.device().applies == 3);
  CHECK_FALSE(fixture.service().steered());
  fixture.run(4.5, true);
  CHECK(fixture.device().applies == 5);
  CHECK(fixture.service().steered());

  SteeringStatus steered = fixture.status();
  CHECK(steered.steered == 1);
  CHECK(steered.action_state == DeviceState::ok);
  CHECK(text(steered.last_error).empty());
  CHECK(steered.action_errors == 4);
  CHECK(steered.next_retry_ns == 0);
  REQUIRE(steered.transition_count == 1);
  CHECK(steered.transitions[0].steered == 1);
  CHECK(steered.transitions[0].primary_health == WanHealth::red);
  CHECK(steered.transitions[0].alternate_health == WanHealth::green);
}

TEST_CASE("service sets back a change made outside wanctl") {
  ServiceFixture fixture;
  fixture.start();
  fixture.run(1.0, false);
  REQUIRE_FALSE(fixture.service().steered());

  fixture.device().steered = true;  // someone enabled the rule by hand
  fixture.run(10.0, false);         // the verification interval is 10 s
  CHECK_FALSE(fixture.device().steered);
  CHECK_FALSE(fixture.service().steered());
  SteeringStatus status = fixture.status();
  CHECK(status.external_changes == 1);
  CHECK(status.transition_count == 0);  // the decision itself never changed
}

TEST_CASE("service history and decision survive a restart") {
  ServiceFixture fixture;
  fixture.start();
  fixture.run(5.0, true);
  REQUIRE(fixture.service().steered());
  fixture.stop();

  fixture.start();
  fixture.run(0.5, true);
  CHECK(fixture.service().steered());
  SteeringStatus status = fixture.status();
  CHECK(status.transitions_total == 1);
  REQUIRE(status.transition_count == 1);
  CHECK(text(status.transitions[0].reason).find("RED for 4.0 s") != std::string::npos);
  CHECK(fixture.device().writes == 1);

  // The device was changed while the service was down: adopted, and recorded.
  fixture.stop();
  fixture.device().steered = false;
  fixture.start();
  fixture.run(0.5, true);
  status = fixture.status();
  CHECK(status.transitions_total == 2);
  CHECK(text(status.transitions[1].reason) == "adopted at start: the rule was inactive on the device");
}

TEST_CASE("service publishes both WANs' signals") {
  ServiceFixture fixture;
  fixture.start();
  fixture.run(2.0, true);
  SteeringStatus status = fixture.status();
  const SteeringWan& primary = status.wans[kPrimary];
  CHECK(text(primary.instance) == fixture.config().primary);
  CHECK(primary.health == WanHealth::red);
  CHECK(primary.delay_us == 60000);
  CHECK(primary.queue_delay_us == 8000);
  CHECK(primary.drop_rate_per_s > 50.0);
  CHECK(primary.estimator_state == CongestionState::red);
  CHECK(primary.status_age_ns == 0);
  CHECK(status.wans[kAlternate].health == WanHealth::green);
  CAPTURE(text(status.hold_reason));
  CHECK(text(status.hold_reason).find("RED for 1.9 s of 4.0 s") != std::string::npos);
}

TEST_CASE("service refuses a WAN without shared-memory objects") {
  ServiceFixture fixture;
  fixture.config().alternate = "no-such-wan-" + std::to_string(::getpid());
  try {
    fixture.start();
    FAIL("no error for a missing WAN");
  } catch (const std::runtime_error& error) {
    std::string message = error.what();
    CHECK(message.find("site.alternate = \"" + fixture.config().alternate + "\": ") == 0);
    CHECK(message.find("wanctl." + fixture.config().alternate + ".status") != std::string::npos);
    CHECK(message.find("does not exist") != std::string::npos);
  }
}
