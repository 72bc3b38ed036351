// `meson install` into a temporary directory, then the installed files as an
// operator finds them: binaries, units, example configs, docs, and the
// installed checker run on an installed example.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "run_command.hpp"
#include "unique_name.hpp"

using namespace wanctl;
namespace fs = std::filesystem;

namespace {

// Removes the installation when the test process ends.
struct RemoveAtExit {
  std::string dir;
  ~RemoveAtExit() { fs::remove_all(dir); }
};

// Installs once per test process; returns the destination directory.
const std::string& installed_root() {
  static const std::string root = [] {
    std::string dir = "/tmp/" + test::unique_instance("install");
    fs::remove_all(dir);
    test::CommandResult result = test::run_command("meson install -C " + test::program_path("WANCTL_BUILD_DIR") +
                                                   " --no-rebuild --quiet --destdir " + dir);
    if (result.status != 0) {
      FAIL("meson install failed: " << result.out << result.err);
    }
    return dir;
  }();
  static const RemoveAtExit cleanup{root};
  return root;
}

std::string installed(const char* variable) { return installed_root() + test::program_path(variable); }

}  // namespace

TEST_CASE("install puts files in their FHS places") {
  std::string bin = installed("WANCTL_BINDIR");
  for (const char* program : {"wanctl-check-config", "wanctl-exporter", "wanctl-tap", "wanctl-plot"}) {
    INFO(program);
    CHECK(fs::exists(bin + "/" + program));
    CHECK((fs::status(bin + "/" + program).permissions() & fs::perms::owner_exec) != fs::perms::none);
  }

  std::string units = installed("WANCTL_PREFIX") + "/lib/systemd/system";
  for (const char* unit : {"wanctl@.target", "wanctl-prober@.service", "wanctl-estimator@.service",
                           "wanctl-actuator@.service", "wanctl-steering@.service", "wanctl-exporter.service"}) {
    INFO(unit);
    CHECK(fs::exists(units + "/" + unit));
  }
  CHECK(fs::exists(installed("WANCTL_PREFIX") + "/lib/sysusers.d/wanctl.conf"));

  std::string docs = installed("WANCTL_DOCDIR");
  for (const char* doc : {"CONFIGURATION.md", "OPERATIONS.md", "ARCHITECTURE.md", "README.md",
                          "examples/cable.toml", "examples/steering.toml", "examples/exporter.toml"}) {
    INFO(doc);
    CHECK(fs::exists(docs + "/" + doc));
  }
  CHECK(fs::is_directory(installed("WANCTL_SYSCONFDIR") + "/wanctl"));
  CHECK(fs::is_empty(installed("WANCTL_SYSCONFDIR") + "/wanctl"));
}

TEST_CASE("installed checker accepts installed examples") {
  std::string checker = installed("WANCTL_BINDIR") + "/wanctl-check-config";
  std::string examples = installed("WANCTL_DOCDIR") + "/examples";
  int checked = 0;
  for (const fs::directory_entry& entry : fs::directory_iterator(examples)) {
    test::CommandResult result = test::run_command(checker + " --quiet " + entry.path().string());
    INFO(entry.path().string(), "\n", result.err);
    CHECK(result.status == 0);
    ++checked;
  }
  CHECK(checked >= 6);
}

TEST_CASE("installed units refer to installed files") {
  std::string units = installed("WANCTL_PREFIX") + "/lib/systemd/system";
  std::string prober = test::read_file(units + "/wanctl-prober@.service");
  CHECK(prober.find("ExecStart=" + test::program_path("WANCTL_BINDIR") + "/wanctl-prober --config " +
                    test::program_path("WANCTL_SYSCONFDIR") + "/wanctl/%i.toml\n") != std::string::npos);
  CHECK(prober.find("AmbientCapabilities=CAP_NET_RAW\n") != std::string::npos);
  CHECK(prober.find("CapabilityBoundingSet=CAP_NET_RAW\n") != std::string::npos);

  // Every template placeholder was substituted.
  for (const fs::directory_entry& entry : fs::directory_iterator(units)) {
    std::string text = test::read_file(entry.path().string());
    INFO(entry.path().string());
    CHECK(text.find("@bindir@") == std::string::npos);
    CHECK(text.find("@hardening@") == std::string::npos);
    if (entry.path().extension() == ".service") {
      CHECK(text.find("\nNoNewPrivileges=yes\n") != std::string::npos);
      CHECK(text.find("\nProtectSystem=strict\n") != std::string::npos);
      CHECK(text.find("\nRestart=always\n") != std::string::npos);
      CHECK(text.find("\nType=notify\n") != std::string::npos);
      CHECK(text.find("\nWatchdogSec=") != std::string::npos);
      CHECK(text.find("\nRemoveIPC=yes") == std::string::npos);
    }
    // /dev/shm is shared by the stages of a WAN.
    CHECK(text.find("PrivateDevices=yes") == std::string::npos);
    CHECK(text.find("PrivateIPC=yes") == std::string::npos);
  }
}

TEST_CASE("installed units pass systemd-analyze verify") {
  test::CommandResult version = test::run_command("systemd-analyze --version");
  if (version.status != 0) {
    MESSAGE("systemd-analyze is not installed; skipping the unit verification");
    return;
  }

  // The units name the installed binaries by their final path; point them at
  // the temporary installation so that verify finds them.
  std::string units = installed("WANCTL_PREFIX") + "/lib/systemd/system";
  std::string checked_dir = installed_root() + "/verify";
  fs::create_directories(checked_dir);
  std::string bindir = test::program_path("WANCTL_BINDIR");
  for (const fs::directory_entry& entry : fs::directory_iterator(units)) {
    std::string text = test::read_file(entry.path().string());
    for (std::size_t pos = text.find(bindir + "/"); pos != std::string::npos;
         pos = text.find(bindir + "/", pos + installed_root().size() + bindir.size())) {
      text.insert(pos, installed_root());
    }
    std::ofstream(checked_dir + "/" + entry.path().filename().string()) << text;
  }

  for (const char* unit : {"wanctl@.target", "wanctl-prober@.service", "wanctl-estimator@.service",
                           "wanctl-actuator@.service", "wanctl-steering@.service", "wanctl-exporter.service"}) {
    std::string path = checked_dir + "/" + unit;
    test::CommandResult result = test::run_command("systemd-analyze verify --man=no " + path);
    INFO(unit, "\n", result.err);
    CHECK(result.status == 0);
    // Warnings about other units of this host are not ours; ours must have none.
    CHECK(result.err.find(checked_dir) == std::string::npos);
    CHECK(result.err.find(std::string(unit)) == std::string::npos);
  }
}
