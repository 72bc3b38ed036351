// Runs a shell command line and captures its exit status and output.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <unistd.h>

namespace wanctl::test {

struct CommandResult {
  int status;
  std::string out;
  std::string err;
};

inline std::string read_file(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

inline CommandResult run_command(const std::string& command) {
  std::string stem = "/tmp/wanctl-test-" + std::to_string(::getpid());
  std::string full = command + " >" + stem + ".out 2>" + stem + ".err";
  int raw = std::system(full.c_str());
  CommandResult result{WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, read_file(stem + ".out"), read_file(stem + ".err")};
  std::remove((stem + ".out").c_str());
  std::remove((stem + ".err").c_str());
  return result;
}

// Path of a helper program, given to the test through the environment.
inline std::string program_path(const char* variable) {
  const char* value = std::getenv(variable);
  return value != nullptr ? value : "";
}

}  // namespace wanctl::test
