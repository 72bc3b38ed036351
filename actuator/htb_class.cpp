#include "htb_class.hpp"

#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "mono_time.hpp"

namespace wanctl {
namespace {

// The packet size the rate tables cover, iproute2's default for HTB.
constexpr std::uint32_t kHtbMtuBytes = 1600;

std::uint32_t parse_class_id(const std::string& text) {
  std::size_t colon = text.find(':');
  std::uint32_t major = static_cast<std::uint32_t>(std::stoul(text.substr(0, colon), nullptr, 16));
  std::uint32_t minor = static_cast<std::uint32_t>(std::stoul(text.substr(colon + 1), nullptr, 16));
  return (major << 16) | (minor & 0xffff);
}

ShaperCounters counters_of(const TcObject& object) {
  ShaperCounters counters;
  if (object.basic) {
    counters.bytes = object.basic->bytes;
    counters.packets = object.basic->packets;
  }
  if (object.queue) {
    counters.drops = object.queue->drops;
    counters.backlog_bytes = object.queue->backlog_bytes;
    counters.backlog_packets = object.queue->queue_packets;
  }
  return counters;
}

}  // namespace

std::optional<HtbParameters> parse_htb_parameters(const TcObject& object) {
  HtbParameters parameters;
  bool has_options = false;
  std::optional<std::uint64_t> rate64;
  std::optional<std::uint64_t> ceil64;
  for_each_attribute(object.options, [&](std::uint16_t type, std::span<const std::byte> payload) {
    if (type == TCA_HTB_PARMS && payload.size() >= sizeof(tc_htb_opt)) {
      std::memcpy(&parameters.options, payload.data(), sizeof(tc_htb_opt));
      has_options = true;
    } else if (type == TCA_HTB_RATE64) {
      rate64 = attribute_u64(payload);
    } else if (type == TCA_HTB_CEIL64) {
      ceil64 = attribute_u64(payload);
    }
  });
  if (!has_options) {
    return std::nullopt;
  }
  parameters.rate_bytes_per_s = rate64.value_or(parameters.options.rate.rate);
  parameters.ceil_bytes_per_s = ceil64.value_or(parameters.options.ceil.rate);
  return parameters;
}

HtbParameters retarget_htb(const PschedClock& clock, const HtbParameters& dumped, std::uint64_t rate_bytes_per_s) {
  HtbParameters changed = dumped;
  std::uint64_t burst_bytes = clock.transmit_bytes(dumped.rate_bytes_per_s, dumped.options.buffer);
  std::uint64_t cburst_bytes = clock.transmit_bytes(dumped.ceil_bytes_per_s, dumped.options.cbuffer);

  changed.rate_bytes_per_s = rate_bytes_per_s;
  changed.ceil_bytes_per_s = rate_bytes_per_s;
  changed.options.buffer = clock.transmit_ticks(rate_bytes_per_s, burst_bytes);
  changed.options.cbuffer = clock.transmit_ticks(rate_bytes_per_s, cburst_bytes);
  return changed;
}

HtbClass::HtbClass(NetlinkSocket& socket, std::string interface, const std::string& class_id)
    : socket_(socket), interface_(std::move(interface)), class_id_(parse_class_id(class_id)),
      clock_(PschedClock::from_proc()) {}

std::string HtbClass::describe() const { return "HTB class " + format_tc_handle(class_id_) + " on " + interface_; }

std::optional<HtbClass::Dumped> HtbClass::dump(ShaperReading& failure) {
  bool had_index = ifindex_ != 0;
  std::optional<Dumped> dumped = dump_once(failure);
  if (!dumped && had_index) {
    failure = ShaperReading{};
    dumped = dump_once(failure);  // the interface may be back under a new index
  }
  return dumped;
}

std::optional<HtbClass::Dumped> HtbClass::dump_once(ShaperReading& failure) {
  failure.time_mono_ns = monotonic_now_ns();
  int ifindex = ifindex_;
  ifindex_ = 0;
  if (ifindex == 0) {
    NetlinkResult lookup = socket_.interface_index(interface_, ifindex);
    if (!lookup.ok()) {
      failure.status = ShaperStatus::transient;
      failure.error = "looking up interface " + interface_ + " failed: " + lookup.describe();
      return std::nullopt;
    }
  }
  if (ifindex == 0) {
    failure.status = ShaperStatus::missing;
    failure.error = "interface " + interface_ + " not found";
    return std::nullopt;
  }

  nlmsghdr* request = socket_.start_request(RTM_GETTCLASS, NLM_F_DUMP);
  auto* header = static_cast<tcmsg*>(mnl_nlmsg_put_extra_header(request, sizeof(tcmsg)));
  header->tcm_family = AF_UNSPEC;
  header->tcm_ifindex = ifindex;

  std::optional<TcObject> found;
  NetlinkResult result = socket_.transact(request, [&](const nlmsghdr* reply) {
    std::optional<TcObject> object = parse_tc_message(reply);
    if (object && object->ifindex == ifindex && object->handle == class_id_) {
      found = std::move(object);
    }
  });
  if (!result.ok()) {
    failure.status = result.error == -ENODEV ? ShaperStatus::missing : ShaperStatus::transient;
    failure.error = "dumping the classes of " + interface_ + " failed: " + result.describe();
    return std::nullopt;
  }

  if (!found) {
    failure.status = ShaperStatus::missing;
    failure.error = describe() + " not found; create it with 'tc class add dev " + interface_ + " parent 1: classid " +
                    format_tc_handle(class_id_) + " htb rate 100mbit'";
    return std::nullopt;
  }
  std::optional<HtbParameters> parameters = found->kind == "htb" ? parse_htb_parameters(*found) : std::nullopt;
  if (!parameters) {
    failure.status = ShaperStatus::missing;
    failure.error = "class " + format_tc_handle(class_id_) + " on " + interface_ + " is of kind " + found->kind +
                    ", not an HTB class with parameters";
    return std::nullopt;
  }
  ifindex_ = ifindex;
  return Dumped{ifindex, std::move(*found), *parameters};
}

ShaperReading HtbClass::read() {
  ShaperReading reading;
  std::optional<Dumped> dumped = dump(reading);
  if (!dumped) {
    return reading;
  }
  reading.rate_bps = dumped->parameters.rate_bytes_per_s * 8;
  reading.counters = counters_of(dumped->object);
  return reading;
}

ShaperWrite HtbClass::set_rate(std::uint64_t rate_bps) {
  ShaperWrite write;
  ShaperReading failure;
  std::optional<Dumped> dumped = dump(failure);
  if (!dumped) {
    write.status = failure.status;
    write.error = failure.error;
    return write;
  }

  std::uint64_t rate_bytes_per_s = rate_bps / 8;
  HtbParameters changed = retarget_htb(clock_, dumped->parameters, rate_bytes_per_s);
  std::array<std::uint32_t, 256> rate_table = build_rate_table(clock_, changed.options.rate, rate_bytes_per_s, kHtbMtuBytes);
  std::array<std::uint32_t, 256> ceil_table = build_rate_table(clock_, changed.options.ceil, rate_bytes_per_s, kHtbMtuBytes);

  // No NLM_F_CREATE: the kernel changes this existing class or rejects it.
  nlmsghdr* request = socket_.start_request(RTM_NEWTCLASS, NLM_F_ACK);
  auto* header = static_cast<tcmsg*>(mnl_nlmsg_put_extra_header(request, sizeof(tcmsg)));
  header->tcm_family = AF_UNSPEC;
  header->tcm_ifindex = dumped->ifindex;
  header->tcm_handle = class_id_;
  header->tcm_parent = dumped->object.parent;
  mnl_attr_put_strz(request, TCA_KIND, "htb");
  nlattr* options = mnl_attr_nest_start(request, TCA_OPTIONS);
  mnl_attr_put(request, TCA_HTB_PARMS, sizeof(changed.options), &changed.options);
  mnl_attr_put(request, TCA_HTB_RTAB, sizeof(rate_table), rate_table.data());
  mnl_attr_put(request, TCA_HTB_CTAB, sizeof(ceil_table), ceil_table.data());
  if (rate_bytes_per_s >= (1ULL << 32)) {
    mnl_attr_put_u64(request, TCA_HTB_RATE64, rate_bytes_per_s);
    mnl_attr_put_u64(request, TCA_HTB_CEIL64, rate_bytes_per_s);
  }
  mnl_attr_nest_end(request, options);

  NetlinkResult result = socket_.transact(request, [](const nlmsghdr*) {});
  write.confirmed_mono_ns = monotonic_now_ns();
  if (result.ok()) {
    write.confirmed_rate_bps = rate_bytes_per_s * 8;
    return write;
  }
  write.error = "changing " + describe() + " failed: " + result.describe();
  write.status = result.error == -ENODEV || result.error == -ENOENT ? ShaperStatus::missing : ShaperStatus::rejected;
  return write;
}

}  // namespace wanctl
