// wanctl-tap --record and scripts/plot on a recording the test makes by
// writing a pipeline's objects while the tap records them.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "mono_time.hpp"
#include "process.hpp"
#include "record_fields.hpp"
#include "run_command.hpp"
#include "synthetic_pipeline.hpp"

using namespace wanctl;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::string tap() { return test::program_path("WANCTL_TAP"); }
std::string plot() { return test::program_path("WANCTL_PLOT"); }

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) {
    lines.push_back(line);
  }
  return lines;
}

std::string header_of(const std::vector<Field>& fields) {
  std::string header;
  for (const Field& field : fields) {
    header += (header.empty() ? "" : ",") + field.name;
  }
  return header;
}

// Reads the width and height from a PNG file's IHDR chunk; 0x0 when the
// file is not a PNG.
std::pair<int, int> png_size(const std::string& path) {
  std::string data = test::read_file(path);
  if (data.size() < 24 || data.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0 || data.compare(12, 4, "IHDR") != 0) {
    return {0, 0};
  }
  auto be32 = [&](std::size_t at) {
    return (static_cast<unsigned char>(data[at]) << 24) | (static_cast<unsigned char>(data[at + 1]) << 16) |
           (static_cast<unsigned char>(data[at + 2]) << 8) | static_cast<unsigned char>(data[at + 3]);
  };
  return {be32(16), be32(20)};
}

}  // namespace

TEST_CASE("tap records an instance and plot draws it") {
  std::string instance = test::unique_instance("rec");
  std::string dir = "/tmp/" + instance + ".recording";
  fs::remove_all(dir);
  test::SyntheticPipeline pipeline(instance);
  pipeline.step(0, monotonic_now_ns());  // objects exist; the recording starts after this

  auto recorder = test::ChildProcess::start(
      {"/bin/sh", "-c", "exec " + tap() + " " + instance + " --record " + dir + " 2>" + dir + ".log"});
  std::this_thread::sleep_for(400ms);

  constexpr int kSteps = 60;
  for (int i = 1; i <= kSteps; ++i) {
    pipeline.step(i, monotonic_now_ns());
    std::this_thread::sleep_for(50ms);
  }
  std::this_thread::sleep_for(300ms);
  recorder.kill(SIGINT);
  std::optional<int> status = recorder.wait_for(5s);
  REQUIRE(status.has_value());
  CHECK(*status == 0);
  std::string log = test::read_file(dir + ".log");
  INFO(log);
  CHECK(log.find("recorded 180 samples, 60 decisions") != std::string::npos);

  std::vector<std::string> samples = lines_of(test::read_file(dir + "/samples.csv"));
  REQUIRE(samples.size() == 1 + kSteps * test::kSyntheticReflectors);
  CHECK(samples[0] == header_of(record_fields(ProbeSample{})));
  // The first sample recorded is the first of step 1, after step 0's three.
  CHECK(samples[1].rfind(std::to_string(test::kSyntheticReflectors) + ",", 0) == 0);

  std::vector<std::string> decisions = lines_of(test::read_file(dir + "/decisions.csv"));
  REQUIRE(decisions.size() == 1 + kSteps);
  CHECK(decisions[0] == header_of(record_fields(RateDecision{})));
  // Row i contains step i: a queue of 12 ms at step 25, 32 ms at 35, none at 45.
  CHECK(decisions[25].find(",YELLOW,") != std::string::npos);
  CHECK(decisions[35].find(",RED,") != std::string::npos);
  CHECK(decisions[45].find(",GREEN,") != std::string::npos);

  std::vector<std::string> telemetry = lines_of(test::read_file(dir + "/telemetry.csv"));
  CHECK(telemetry.size() > 30);
  CHECK(telemetry[0].rfind("version,epoch,time_mono_ns,", 0) == 0);

  std::vector<std::string> status_rows = lines_of(test::read_file(dir + "/status.csv"));
  CHECK(status_rows.size() > 30);
  CHECK(status_rows[0].find("reflector0_") == std::string::npos);
  std::vector<std::string> baselines = lines_of(test::read_file(dir + "/baselines.csv"));
  CHECK(baselines.size() == 1 + (status_rows.size() - 1) * test::kSyntheticReflectors);
  CHECK(baselines[0].rfind("time_mono_ns,reflector_id,has_baseline,has_owd,baseline_rtt_us,", 0) == 0);
  CHECK(test::read_file(dir + "/recording.txt").find("instance=" + instance + "\n") == 0);

  test::CommandResult drawn = test::run_command("/usr/bin/python3 " + plot() + " " + dir);
  INFO(drawn.err);
  REQUIRE(drawn.status == 0);
  CHECK(drawn.out == "plot: wrote " + dir + "/plot.png\n");
  CHECK(png_size(dir + "/plot.png") == std::pair<int, int>(1200, 1100));
  CHECK(fs::file_size(dir + "/plot.png") > 40'000);

  fs::remove_all(dir);
  std::remove((dir + ".log").c_str());
}

TEST_CASE("tap record stops after its duration") {
  std::string instance = test::unique_instance("recdur");
  std::string dir = "/tmp/" + instance + ".recording";
  test::CommandResult result = test::run_command("timeout 10 " + tap() + " " + instance + " --record " + dir +
                                                 " --duration 300ms");
  CHECK(result.status == 0);
  CHECK(result.err.find("recorded 0 samples, 0 decisions") != std::string::npos);
  CHECK(fs::exists(dir + "/samples.csv"));

  // An empty recording cannot be drawn, and plot prints why.
  test::CommandResult drawn = test::run_command("/usr/bin/python3 " + plot() + " " + dir);
  CHECK(drawn.status == 1);
  CHECK(drawn.err == "plot: " + dir + " holds no samples and no decisions; record with wanctl-tap INSTANCE "
                     "--record DIR while the pipeline runs\n");
  fs::remove_all(dir);
}

TEST_CASE("tap record rejects an object name and bad options") {
  test::CommandResult both = test::run_command(tap() + " wan1 samples --record /tmp/x");
  CHECK(both.status == 2);
  CHECK(both.err == "wanctl-tap: --record records every object of the instance; give no object name\n");

  test::CommandResult neither = test::run_command(tap() + " wan1");
  CHECK(neither.status == 2);
  CHECK(neither.err == "wanctl-tap: name an object, e.g. wanctl-tap wan1 samples, or use --record DIR\n");

  test::CommandResult duration = test::run_command(tap() + " wan1 --record /tmp/x --duration soon");
  CHECK(duration.status == 2);
  CHECK(duration.err.find("invalid --duration value 'soon'") != std::string::npos);

  test::CommandResult file = test::run_command(tap() + " wan1 --record /etc/hostname --duration 1s");
  CHECK(file.status == 1);
  CHECK(file.err.find("/etc/hostname exists and is not a directory") != std::string::npos);
}
