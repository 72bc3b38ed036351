#include "secret.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace wanctl {
namespace {

std::string strip_line_end(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.pop_back();
  }
  return text;
}

}  // namespace

std::string read_router_password(const RouterOsConfig& config) {
  if (!config.password_env.empty()) {
    const char* value = std::getenv(config.password_env.c_str());
    if (value == nullptr || *value == '\0') {
      throw std::runtime_error("environment variable " + config.password_env +
                               " (actuator.routeros.password_env) is not set or empty; set it to the router password");
    }
    return value;
  }

  std::ifstream file(config.password_file);
  if (!file) {
    throw std::runtime_error("cannot read password file " + config.password_file + " (actuator.routeros.password_file): " +
                             std::strerror(errno));
  }
  std::stringstream text;
  text << file.rdbuf();
  std::string password = strip_line_end(text.str());
  if (password.empty()) {
    throw std::runtime_error("password file " + config.password_file + " is empty");
  }
  return password;
}

}  // namespace wanctl
