// The history file: round trip, the 50-entry limit, bad files, atomic writes.
#include <doctest/doctest.h>

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <system_error>
#include <vector>

#include "run_command.hpp"
#include "transition_history.hpp"

using namespace wanctl;

namespace {

class TempDirectory {
 public:
  TempDirectory() {
    char pattern[] = "/tmp/wanctl-history-XXXXXX";
    path_ = ::mkdtemp(pattern);
  }
  ~TempDirectory() { test::run_command("rm -rf " + path_); }
  const std::string& path() const { return path_; }

  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    DIR* directory = ::opendir(path_.c_str());
    while (dirent* entry = ::readdir(directory)) {
      std::string name = entry->d_name;
      if (name != "." && name != "..") {
        names.push_back(name);
      }
    }
    ::closedir(directory);
    return names;
  }

 private:
  std::string path_;
};

}  // namespace

TEST_CASE("history file survives a round trip") {
  TempDirectory directory;
  std::string path = directory.path() + "/site.steering.json";

  TransitionHistory history(path);
  CHECK(history.load().empty());  // no file yet: a first start
  CHECK_FALSE(history.last_steered());
  history.add(make_transition(1'700'000'000'000, true, WanHealth::red, WanHealth::green, "wan1 RED for 4.0 s"));
  history.add(make_transition(1'700'000'040'000, false, WanHealth::green, WanHealth::green, "wan1 GREEN for 30.0 s"));
  history.save();

  TransitionHistory loaded(path);
  CHECK(loaded.load().empty());
  REQUIRE(loaded.transitions().size() == 2);
  CHECK(loaded.total() == 2);
  CHECK(loaded.last_steered() == false);
  const SteeringTransition& first = loaded.transitions()[0];
  CHECK(first.time_unix_ms == 1'700'000'000'000);
  CHECK(first.steered == 1);
  CHECK(first.primary_health == WanHealth::red);
  CHECK(first.alternate_health == WanHealth::green);
  CHECK(std::string(first.reason) == "wan1 RED for 4.0 s");

  // Only the file remains: the temporary file was renamed over it.
  CHECK(directory.entries() == std::vector<std::string>{"site.steering.json"});
}

TEST_CASE("history keeps the last 50 transitions and counts all") {
  TempDirectory directory;
  std::string path = directory.path() + "/h.json";
  TransitionHistory history(path);
  for (int i = 0; i < 120; ++i) {
    history.add(make_transition(i, i % 2 == 0, WanHealth::red, WanHealth::green, "transition " + std::to_string(i)));
  }
  history.save();

  TransitionHistory loaded(path);
  CHECK(loaded.load().empty());
  REQUIRE(loaded.transitions().size() == 50);
  CHECK(loaded.total() == 120);
  CHECK(std::string(loaded.transitions().front().reason) == "transition 70");
  CHECK(std::string(loaded.transitions().back().reason) == "transition 119");

  SteeringStatus status{};
  loaded.fill(status);
  CHECK(status.transition_count == 50);
  CHECK(status.transitions_total == 120);
  CHECK(std::string(status.transitions[49].reason) == "transition 119");
}

TEST_CASE("history reason is cut to the record size") {
  SteeringTransition transition =
      make_transition(0, true, WanHealth::red, WanHealth::green, std::string(500, 'x'));
  CHECK(std::string(transition.reason).size() == kSteeringReasonChars - 1);
}

TEST_CASE("history file that is not valid starts an empty history") {
  TempDirectory directory;
  std::string path = directory.path() + "/bad.json";

  std::ofstream(path) << "{\"format\": 1, \"transitions\": [";
  TransitionHistory truncated(path);
  std::string problem = truncated.load();
  CHECK(problem.find(path + " is not a valid steering history") == 0);
  CHECK(truncated.transitions().empty());

  std::ofstream(path, std::ios::trunc) << "{\"format\": 7, \"transitions_total\": 0, \"transitions\": []}";
  TransitionHistory future(path);
  CHECK(future.load() == path + " has format 7, expected 1");
}

TEST_CASE("history save into a missing directory names the file") {
  TransitionHistory history("/nonexistent-wanctl-dir/site.json");
  history.add(make_transition(0, true, WanHealth::red, WanHealth::green, "x"));
  try {
    history.save();
    FAIL("no error for a missing directory");
  } catch (const std::system_error& error) {
    CHECK(std::string(error.what()).find("/nonexistent-wanctl-dir/site.json.tmp.") != std::string::npos);
  }
}
