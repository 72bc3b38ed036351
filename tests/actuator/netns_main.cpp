// doctest main for tests that run in a network namespace of their own; it
// exits 77 (skipped, for meson) when the namespace cannot be created.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>

#include "netns_support.hpp"

int main(int argc, char** argv) {
  std::string error = wanctl::test::enter_new_network_namespace();
  if (!error.empty()) {
    std::printf("skipped: %s\n", error.c_str());
    return 77;
  }
  doctest::Context context(argc, argv);
  return context.run();
}
