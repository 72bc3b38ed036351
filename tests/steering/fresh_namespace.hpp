// Moves the test process into a new network namespace for each test case,
// so rules an earlier case left behind are gone. The test binary's main has
// already checked that namespaces can be created here.
#pragma once

#include <doctest/doctest.h>
#include <sched.h>

#include "netns_support.hpp"

namespace wanctl::test {

inline void fresh_namespace() {
  REQUIRE(::unshare(CLONE_NEWNET) == 0);
  shell("ip link set lo up");
}

}  // namespace wanctl::test
