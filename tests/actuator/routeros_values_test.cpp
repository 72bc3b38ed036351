// Rates and counters as RouterOS writes them: strings, suffixes, pairs, "0".
#include <doctest/doctest.h>

#include "routeros_values.hpp"

using namespace wanctl;

TEST_CASE("router rate plain and suffixed") {
  CHECK(parse_router_rate("10000000") == 10'000'000U);
  CHECK(parse_router_rate("10M") == 10'000'000U);
  CHECK(parse_router_rate("1500k") == 1'500'000U);
  CHECK(parse_router_rate("1500K") == 1'500'000U);
  CHECK(parse_router_rate("1.5G") == 1'500'000'000U);
  CHECK(parse_router_rate("2.25M") == 2'250'000U);
}

TEST_CASE("router rate zero is unlimited") { CHECK(parse_router_rate("0") == 0U); }

TEST_CASE("router rate rejects what is not a rate") {
  for (const char* bad : {"", "M", "-5", "10 M", "ten", "1.5", "10m", "1e6", "10M/20M", "18446744073709551616",
                          "99999999999T"}) {
    CHECK_MESSAGE(!parse_router_rate(bad).has_value(), bad);
  }
}

TEST_CASE("router pair splits upload and download") {
  auto pair = split_router_pair("10000000/50000000");
  REQUIRE(pair);
  CHECK(parse_router_rate(pair->first) == 10'000'000U);
  CHECK(parse_router_rate(pair->second) == 50'000'000U);
  CHECK_FALSE(split_router_pair("10000000"));
  CHECK_FALSE(split_router_pair("1/2/3"));
}

TEST_CASE("router counter digits only") {
  CHECK(parse_router_counter("123456") == 123456U);
  CHECK(parse_router_counter("18446744073709551615") == 18446744073709551615ULL);
  CHECK_FALSE(parse_router_counter("18446744073709551616"));
  CHECK_FALSE(parse_router_counter("12a"));
  CHECK_FALSE(parse_router_counter(""));
}
