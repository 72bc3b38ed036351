#include "cake_qdisc.hpp"

#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <optional>

#include "cake_attributes.hpp"
#include "mono_time.hpp"
#include "tc_message.hpp"

namespace wanctl {
namespace {

tcmsg* put_tcmsg(nlmsghdr* message, int ifindex, std::uint32_t handle, std::uint32_t parent) {
  auto* header = static_cast<tcmsg*>(mnl_nlmsg_put_extra_header(message, sizeof(tcmsg)));
  header->tcm_family = AF_UNSPEC;
  header->tcm_ifindex = ifindex;
  header->tcm_handle = handle;
  header->tcm_parent = parent;
  return header;
}

ShaperCounters counters_of(const TcObject& qdisc) {
  ShaperCounters counters;
  if (qdisc.basic) {
    counters.bytes = qdisc.basic->bytes;
    counters.packets = qdisc.basic->packets;
  }
  if (qdisc.queue) {
    counters.drops = qdisc.queue->drops;
    counters.backlog_bytes = qdisc.queue->backlog_bytes;
    counters.backlog_packets = qdisc.queue->queue_packets;
  }
  CakeTinSummary tins = summarize_tins(parse_cake_stats(qdisc.app_stats));
  counters.ecn_marks = tins.ecn_marked_packets;
  counters.peak_delay_us = tins.peak_delay_us;
  counters.average_delay_us = tins.average_delay_us;
  return counters;
}

// Errors that mean the pinned qdisc or its interface is gone or replaced.
bool means_gone(int error) {
  return error == -ENODEV || error == -ENOENT || error == -EINVAL || error == -EEXIST;
}

}  // namespace

CakeQdisc::CakeQdisc(NetlinkSocket& socket, std::string interface)
    : socket_(socket), interface_(std::move(interface)) {}

ShaperReading CakeQdisc::fail(ShaperStatus status, std::string error) {
  ShaperReading reading;
  reading.status = status;
  reading.error = std::move(error);
  reading.time_mono_ns = monotonic_now_ns();
  return reading;
}

ShaperReading CakeQdisc::locate() {
  unpin();
  int ifindex = 0;
  NetlinkResult lookup = socket_.interface_index(interface_, ifindex);
  if (!lookup.ok()) {
    return fail(ShaperStatus::transient, "looking up interface " + interface_ + " failed: " + lookup.describe());
  }
  if (ifindex == 0) {
    return fail(ShaperStatus::missing, "interface " + interface_ + " not found");
  }

  nlmsghdr* request = socket_.start_request(RTM_GETQDISC, NLM_F_DUMP);
  put_tcmsg(request, ifindex, 0, 0);
  std::optional<TcObject> root;
  NetlinkResult result = socket_.transact(request, [&](const nlmsghdr* reply) {
    std::optional<TcObject> qdisc = parse_tc_message(reply);
    if (qdisc && qdisc->ifindex == ifindex && qdisc->parent == TC_H_ROOT) {
      root = std::move(qdisc);
    }
  });
  if (!result.ok()) {
    return fail(ShaperStatus::transient, "dumping the qdiscs of " + interface_ + " failed: " + result.describe());
  }

  if (!root) {
    return fail(ShaperStatus::missing, "interface " + interface_ + " has no root qdisc");
  }
  if (root->kind != "cake") {
    return fail(ShaperStatus::missing, "root qdisc of " + interface_ + " is " + root->kind + " (handle " +
                                           format_tc_handle(root->handle) +
                                           "), not cake; wanctl changes only an existing root CAKE and replaces "
                                           "nothing: add one with 'tc qdisc replace dev " + interface_ +
                                           " root cake bandwidth 100Mbit'");
  }
  if (root->handle == 0) {
    return fail(ShaperStatus::missing, "root CAKE on " + interface_ + " has handle 0, which cannot be pinned");
  }

  ifindex_ = ifindex;
  handle_ = root->handle;
  ShaperReading reading;
  reading.time_mono_ns = monotonic_now_ns();
  std::optional<std::uint64_t> rate = cake_base_rate_bytes_per_s(root->options);
  if (rate) {
    reading.rate_bps = *rate * 8;
  }
  reading.counters = counters_of(*root);
  return reading;
}

ShaperReading CakeQdisc::read() {
  if (!pinned()) {
    return locate();
  }

  // A get of the root qdisc with the pinned handle: the kernel returns
  // the qdisc only while the root still has that handle.
  nlmsghdr* request = socket_.start_request(RTM_GETQDISC, NLM_F_ACK);
  put_tcmsg(request, ifindex_, handle_, TC_H_ROOT);
  std::optional<TcObject> root;
  NetlinkResult result = socket_.transact(request, [&](const nlmsghdr* reply) { root = parse_tc_message(reply); });

  if (!result.ok()) {
    if (means_gone(result.error)) {
      unpin();
      return locate();  // names what is there now
    }
    return fail(ShaperStatus::transient, "reading CAKE on " + interface_ + " failed: " + result.describe());
  }
  if (!root || root->kind != "cake" || root->handle != handle_) {
    return locate();
  }

  ShaperReading reading;
  reading.time_mono_ns = monotonic_now_ns();
  if (std::optional<std::uint64_t> rate = cake_base_rate_bytes_per_s(root->options)) {
    reading.rate_bps = *rate * 8;
  }
  reading.counters = counters_of(*root);
  return reading;
}

ShaperWrite CakeQdisc::set_rate(std::uint64_t rate_bps) {
  ShaperWrite write;
  if (!pinned()) {
    ShaperReading located = locate();
    if (located.status != ShaperStatus::ok) {
      write.status = located.status;
      write.error = located.error;
      return write;
    }
  }

  // No NLM_F_CREATE or NLM_F_REPLACE: the kernel changes the existing qdisc
  // with this handle or rejects the request.
  nlmsghdr* request = socket_.start_request(RTM_NEWQDISC, NLM_F_ACK);
  put_tcmsg(request, ifindex_, handle_, TC_H_ROOT);
  mnl_attr_put_strz(request, TCA_KIND, "cake");
  nlattr* options = mnl_attr_nest_start(request, TCA_OPTIONS);
  mnl_attr_put_u64(request, TCA_CAKE_BASE_RATE64, rate_bps / 8);
  mnl_attr_nest_end(request, options);

  NetlinkResult result = socket_.transact(request, [](const nlmsghdr*) {});
  write.confirmed_mono_ns = monotonic_now_ns();
  if (result.ok()) {
    write.confirmed_rate_bps = rate_bps / 8 * 8;
    return write;
  }

  // The kernel refuses a change to a handle that is no longer the root
  // (EEXIST, EINVAL) or an interface that is gone (ENODEV): look again and
  // report what is there now.
  write.error = "changing CAKE on " + interface_ + " (handle " + format_tc_handle(handle_) + ") failed: " +
                result.describe();
  write.status = ShaperStatus::transient;
  if (means_gone(result.error)) {
    ShaperReading now = locate();
    if (now.status != ShaperStatus::ok) {
      write.status = now.status;
      write.error += "; " + now.error;
    }
  }
  return write;
}

}  // namespace wanctl
