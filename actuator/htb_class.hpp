// One HTB class, driven over rtnetlink, for setups that shape with HTB and a
// leaf qdisc such as fq_codel.
//
// The kernel replaces every parameter of a class on change, so each change
// starts from a fresh dump of the class. Rate and ceil are set to the new
// rate. The burst buffers, stored as the time to send the burst, are
// recomputed so the burst in bytes stays what it was. Everything else (prio,
// quantum, overhead, mpu, link layer) is sent back as dumped.
#pragma once

#include <linux/pkt_sched.h>

#include <cstdint>
#include <optional>
#include <string>

#include "netlink_socket.hpp"
#include "shaper.hpp"
#include "tc_message.hpp"
#include "tc_rate_table.hpp"

namespace wanctl {

// An HTB class's parameters as the kernel dumps them.
struct HtbParameters {
  tc_htb_opt options{};
  std::uint64_t rate_bytes_per_s = 0;  // from TCA_HTB_RATE64 when present, else options.rate.rate
  std::uint64_t ceil_bytes_per_s = 0;
};

// Parses the TCA_OPTIONS payload of an HTB class.
std::optional<HtbParameters> parse_htb_parameters(const TcObject& object);

// Builds the parameters for a change to `rate_bytes_per_s` (rate and ceil),
// keeping the burst sizes in bytes and every other field of `dumped`.
HtbParameters retarget_htb(const PschedClock& clock, const HtbParameters& dumped, std::uint64_t rate_bytes_per_s);

class HtbClass {
 public:
  // `class_id` is "major:minor" in hexadecimal, as tc prints it.
  HtbClass(NetlinkSocket& socket, std::string interface, const std::string& class_id);

  ShaperReading read();
  ShaperWrite set_rate(std::uint64_t rate_bps);

  std::string describe() const;

 private:
  struct Dumped {
    int ifindex = 0;
    TcObject object;
    HtbParameters parameters;
  };
  // Dumps the interface's classes and finds ours; status missing when the
  // interface, the class or its HTB kind is not there.
  std::optional<Dumped> dump(ShaperReading& failure);
  // One dump with the remembered index, or with a fresh lookup without one.
  std::optional<Dumped> dump_once(ShaperReading& failure);

  NetlinkSocket& socket_;
  std::string interface_;
  // The interface's index from the last successful dump, so a read costs
  // one request. Any failure clears it, and the next dump looks the name up
  // again, because a recreated interface gets a new index.
  int ifindex_ = 0;
  std::uint32_t class_id_;
  PschedClock clock_;
};

}  // namespace wanctl
