#include "header_fields.hpp"

#include <signal.h>

#include <cerrno>

#include "mono_time.hpp"

namespace wanctl {
namespace {

bool process_exists(std::uint64_t pid) {
  if (pid == 0) {
    return false;
  }
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

}  // namespace

std::vector<Field> header_fields(const SharedObject& object) {
  const ShmHeader& header = object.header();
  std::int64_t now_ns = monotonic_now_ns();
  std::uint64_t producer_pid = header.producer_pid.load(std::memory_order_relaxed);
  std::uint64_t consumer_pid = header.consumer_pid.load(std::memory_order_relaxed);
  std::int64_t consumer_heartbeat_ns = header.consumer_heartbeat_ns.load(std::memory_order_relaxed);

  std::vector<Field> fields;
  fields.push_back({"object", object.name(), false});
  fields.push_back({"kind", std::string(to_string(header.kind)), false});
  fields.push_back({"record_type", std::string(to_string(header.record_type)), false});
  fields.push_back({"record_size_bytes", std::to_string(header.record_size_bytes), true});
  fields.push_back({"capacity", std::to_string(header.capacity), true});
  fields.push_back({"layout_version", std::to_string(header.layout_version), true});
  fields.push_back({"producer_pid", std::to_string(producer_pid), true});
  fields.push_back({"producer_alive", process_exists(producer_pid) ? "1" : "0", true});
  fields.push_back({"producer_epoch", std::to_string(header.producer_epoch.load()), true});
  fields.push_back({"heartbeat_age_ms",
                    std::to_string((now_ns - header.producer_heartbeat_ns.load()) / 1'000'000), true});
  fields.push_back({"write_index", std::to_string(header.write_index.load()), true});
  fields.push_back({"consumer_pid", std::to_string(consumer_pid), true});
  fields.push_back({"consumer_index", std::to_string(header.consumer_index.load()), true});
  fields.push_back({"consumer_overruns", std::to_string(header.consumer_lost.load()), true});
  fields.push_back({"consumer_heartbeat_age_ms",
                    consumer_heartbeat_ns == 0 ? "-1"
                                               : std::to_string((now_ns - consumer_heartbeat_ns) / 1'000'000),
                    true});
  return fields;
}

}  // namespace wanctl
