// Stage loggers: every line carries stage and instance, the optional file
// rotates, and [logging] is validated like every other table.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "config_reader.hpp"
#include "logging.hpp"
#include "logging_config.hpp"
#include "run_command.hpp"
#include "unique_name.hpp"

using namespace wanctl;

TEST_CASE("stage logger writes instance and stage to its file") {
  std::string dir = "/tmp/" + test::unique_instance("logs");
  std::filesystem::create_directories(dir);
  LogOptions options;
  options.file = dir + "/wan1.log";
  options.level = spdlog::level::debug;

  auto logger = make_stage_logger("prober", "wan1", options);
  spdlog::info("started with {} reflectors", 3);
  spdlog::debug("detail");
  spdlog::trace("not written at debug level");
  logger->flush();

  std::string text = test::read_file(options.file);
  std::istringstream lines(text);
  int count = 0;
  for (std::string line; std::getline(lines, line); ++count) {
    CHECK(line.find(" prober[wan1] ") != std::string::npos);
  }
  CHECK(count == 2);
  CHECK(text.find("info prober[wan1] started with 3 reflectors") != std::string::npos);
  CHECK(text.find("not written") == std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("stage logger rotates its file") {
  std::string dir = "/tmp/" + test::unique_instance("rotate");
  std::filesystem::create_directories(dir);
  LogOptions options;
  options.file = dir + "/wan1.log";
  options.file_max_bytes = 4096;
  options.file_count = 2;

  make_stage_logger("actuator", "wan1", options);
  for (int i = 0; i < 200; ++i) {
    spdlog::warn("line {} of a long enough message to fill the file quickly", i);
  }
  spdlog::default_logger()->flush();

  CHECK(std::filesystem::exists(dir + "/wan1.log"));
  CHECK(std::filesystem::exists(dir + "/wan1.1.log"));
  CHECK(std::filesystem::exists(dir + "/wan1.2.log"));
  CHECK_FALSE(std::filesystem::exists(dir + "/wan1.3.log"));
  CHECK(std::filesystem::file_size(dir + "/wan1.log") <= 4096);
  std::filesystem::remove_all(dir);
  make_stage_logger("test", "none");
}

TEST_CASE("stage logger names a log file it cannot open") {
  LogOptions options;
  options.file = "/proc/wanctl-no-such-dir/wan1.log";
  CHECK_THROWS_WITH_AS(make_stage_logger("estimator", "wan1", options),
                       doctest::Contains("cannot open log file /proc/wanctl-no-such-dir/wan1.log"),
                       std::runtime_error);
}

TEST_CASE("logging table is validated") {
  ConfigReader reader = ConfigReader::parse(
      "[logging]\nlevel = \"loud\"\nfile = \"wan1.log\"\nfile_max_mb = 0\nfile_count = 3\n", "wan1.toml");
  LogOptions options;
  read_logging_config(reader, options);
  REQUIRE(reader.errors().size() == 3);
  CHECK(reader.errors()[0] ==
        "wan1.toml:2:9: logging.level = \"loud\": unknown value; accepted \"trace\", \"debug\", \"info\", \"warn\", "
        "\"error\"");
  CHECK(reader.errors()[1] ==
        "wan1.toml:3:8: logging.file = \"wan1.log\": must be an absolute path, e.g. \"/var/log/wanctl/wan1.log\"; "
        "remove the key to log to stderr only");
  CHECK(reader.errors()[2] == "wan1.toml:4:15: logging.file_max_mb = 0: out of range; accepted 0.1 to 1024");
  CHECK(options.file_count == 3);
  CHECK(options.level == spdlog::level::info);
}
