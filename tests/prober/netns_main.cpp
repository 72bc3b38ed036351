// doctest main for the prober's integration tests. They need root (network
// namespaces, raw sockets) and the ip and nft tools; without them the binary
// prints why and exits 77, which meson reports as skipped.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <signal.h>
#include <unistd.h>

#include <cstdio>

#include "netns_fixture.hpp"
#include "run_command.hpp"

namespace {

void delete_namespaces_and_exit(int signal_number) {
  wanctl::test::NamespaceRegistry::delete_all_from_signal();
  ::_exit(128 + signal_number);
}

}  // namespace

int main(int argc, char** argv) {
  if (::geteuid() != 0) {
    std::printf("skipped: the prober integration tests need root for network namespaces and raw sockets\n");
    return 77;
  }
  for (const char* tool : {"ip -V", "nft --version", "ping -V"}) {
    if (wanctl::test::run_command(tool).status != 0) {
      std::printf("skipped: `%s` failed; install iproute2, nftables and iputils-ping\n", tool);
      return 77;
    }
  }

  wanctl::test::delete_stale_namespaces();
  ::signal(SIGTERM, delete_namespaces_and_exit);
  ::signal(SIGINT, delete_namespaces_and_exit);

  doctest::Context context(argc, argv);
  return context.run();
}
