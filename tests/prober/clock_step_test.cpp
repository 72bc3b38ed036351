// Wall-clock steps while the real wanctl-prober runs. A kernel has one
// CLOCK_REALTIME, which a time namespace cannot change, so this test runs
// only inside the testbed's user-mode Linux kernel, whose clock is its own.
// On any other kernel it exits 77 (skipped) and never touches the clock.
//
// The prober probes the testbed's reflectors (10 ms of delay each way) from
// the router namespace at 100 probes/s, so that two probes are always in
// flight, while the clock is stepped back and forward by 1.76 s. Every RTT must stay normal, the prober must keep
// running, and the receive stamps it could not trust must be counted.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "latest_block.hpp"
#include "netns_fixture.hpp"
#include "object_name.hpp"
#include "ring.hpp"

using namespace wanctl;
using namespace wanctl::test;
using namespace std::chrono_literals;

namespace {

bool inside_user_mode_linux() {
  return read_file("/proc/cpuinfo").find("User Mode Linux") != std::string::npos;
}

std::vector<std::string> split_words(const std::string& text) {
  std::istringstream words(text);
  std::vector<std::string> result;
  for (std::string word; words >> word;) {
    result.push_back(word);
  }
  return result;
}

void step_realtime(std::int64_t step_ns) {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  std::int64_t target_ns = static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec + step_ns;
  timespec target{static_cast<time_t>(target_ns / 1'000'000'000), static_cast<long>(target_ns % 1'000'000'000)};
  REQUIRE(::clock_settime(CLOCK_REALTIME, &target) == 0);
}

}  // namespace

TEST_CASE("prober RTT survives wall-clock steps") {
  std::string router = program_path("TESTBED_NS_ROUTER");
  std::vector<std::string> reflectors = split_words(program_path("TESTBED_REFLECTORS"));
  REQUIRE_FALSE(router.empty());
  REQUIRE(reflectors.size() >= 3);

  std::string instance = "clockstep" + std::to_string(::getpid());
  std::string config_path = "/tmp/" + instance + ".toml";
  std::ofstream config(config_path);
  config << "[instance]\nname = \"" << instance << "\"\n\n[prober]\nreflectors = [\"" << reflectors[0] << "\", \""
         << reflectors[1] << "\", \"" << reflectors[2] << "\"]\nprobe_rate_hz = 100\nmethod = \"timestamp\"\n";
  config.close();

  LoggedProcess prober({"ip", "netns", "exec", router, ProberProcess::binary(), "--config", config_path},
                       "/tmp/" + instance + ".log");
  std::string samples_name = object_name(instance, "samples");
  std::string status_name = object_name(instance, "prober");
  auto read_status = [&]() -> std::optional<ProberStatus> {
    try {
      auto snapshot = BlockReader<ProberStatus>::open(status_name).read();
      return snapshot ? std::optional<ProberStatus>(snapshot->record) : std::nullopt;
    } catch (const ShmError&) {
      return std::nullopt;
    }
  };
  REQUIRE_MESSAGE(wait_until([&] { return read_status() && read_status()->replies >= 20; }, 15s), prober.log());

  // Back and forth, at moments unrelated to the probe schedule. For the
  // first four steps the prober is stopped, so that replies wait in its
  // socket with stamps from before the step and are read after it. A stamp
  // converted by its apparent age alone would then be 1.76 s off.
  for (int step = 0; step < 6; ++step) {
    std::this_thread::sleep_for(std::chrono::milliseconds(700 + 130 * step));
    bool stopped = step < 4;
    if (stopped) {
      prober.signal(SIGSTOP);
      std::this_thread::sleep_for(150ms);
    }
    step_realtime(step % 2 == 0 ? -1'760'000'000 : 1'760'000'000);
    if (stopped) {
      prober.signal(SIGCONT);
    }
  }
  std::this_thread::sleep_for(2s);

  CHECK(prober.running());
  ProberStatus status = *read_status();
  auto reader = RingReader<ProbeSample>::observer(samples_name);
  reader.seek_oldest();
  std::size_t replies = 0;
  while (auto entry = reader.try_read()) {
    const ProbeSample& sample = entry->record;
    CAPTURE(entry->index);
    CHECK(sample.status == SampleStatus::reply);
    if (sample.status != SampleStatus::reply) {
      continue;
    }
    ++replies;
    // 10 ms of netem delay each way, and an idle CAKE adds next to nothing.
    // A reply whose stamp was replaced also carries the time it waited in
    // the socket: at most the 150 ms stop plus the slow resume of a process
    // in user-mode Linux.
    CHECK(sample.rtt_ns >= 15'000'000);
    CHECK(sample.rtt_ns <= 500'000'000);
    CHECK(sample.recv_mono_ns > sample.send_mono_ns);
  }
  CHECK(replies >= 500);
  CHECK(status.timeouts == 0);
  CHECK(status.receive_time_fallbacks >= 4);
  MESSAGE("receive stamps replaced after a wall-clock step: " << status.receive_time_fallbacks << " of "
                                                              << status.replies << " replies");
  CHECK(prober.stop(3s) == 0);
  SharedObject::remove(samples_name);
  SharedObject::remove(status_name);
  std::remove(config_path.c_str());
}

int main(int argc, char** argv) {
  if (!inside_user_mode_linux()) {
    std::printf("skipped: wall-clock steps are tested only inside the testbed's user-mode Linux kernel, "
                "so that the host's clock is never touched\n");
    return 77;
  }
  doctest::Context context(argc, argv);
  return context.run();
}
