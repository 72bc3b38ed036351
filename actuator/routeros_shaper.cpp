#include "routeros_shaper.hpp"

#include <spdlog/spdlog.h>

#include <cctype>

#include "mono_time.hpp"
#include "routeros_values.hpp"

namespace wanctl {
namespace {

const char* queue_path(RouterQueueKind kind) {
  switch (kind) {
    case RouterQueueKind::tree: return "/queue/tree";
    case RouterQueueKind::simple: return "/queue/simple";
    case RouterQueueKind::type: return "/queue/type";
  }
  return "/queue/tree";
}

// RouterOS ids are '*' and hexadecimal digits; they go into the path as they are.
bool plain_id(const std::string& id) {
  if (id.size() < 2 || id[0] != '*') {
    return false;
  }
  for (std::size_t i = 1; i < id.size(); ++i) {
    if (!std::isxdigit(static_cast<unsigned char>(id[i]))) {
      return false;
    }
  }
  return true;
}

// The string value of `key` read by exact name; nothing when absent or not a string.
std::optional<std::string> string_field(const nlohmann::json& object, const char* key) {
  auto field = object.find(key);
  if (field == object.end() || !field->is_string()) {
    return std::nullopt;
  }
  return field->get<std::string>();
}

// A simple queue's "upload/download" pair: download is the second half.
std::optional<std::string> pair_half(const std::string& text, Direction direction) {
  auto halves = split_router_pair(text);
  if (!halves) {
    return std::nullopt;
  }
  return std::string(direction == Direction::upload ? halves->first : halves->second);
}

}  // namespace

RouterOsShaper::RouterOsShaper(const ActuatorConfig& config) : config_(config) {
  RetryPolicy retry;
  retry.attempts = static_cast<int>(config.retry_attempts);
  retry.initial_backoff_ms = config.retry_initial_ms;
  retry.max_backoff_ms = config.retry_max_ms;
  client_ = std::make_unique<RouterOsClient>(config.routeros, retry);

  for (int direction = 0; direction < kDirectionCount; ++direction) {
    const std::optional<ActuatorTarget>& target = config.directions[direction];
    if (!target) {
      continue;
    }
    queues_[direction] = QueueRef{target->queue_kind, target->queue, {}, nullptr};
    if (target->queue_kind == RouterQueueKind::type && !target->stats_queue.empty()) {
      stats_queues_[direction] = QueueRef{RouterQueueKind::tree, target->stats_queue, {}, nullptr};
    }
  }
}

RouterOsShaper::QueueRef& RouterOsShaper::rate_queue(Direction direction) {
  int index = static_cast<int>(direction);
  int other = 1 - index;
  // One simple queue carries both directions: keep one cached object for it.
  if (index == static_cast<int>(Direction::upload) && queues_[other] && queues_[index]->kind == RouterQueueKind::simple &&
      queues_[other]->kind == RouterQueueKind::simple && queues_[other]->name == queues_[index]->name) {
    return *queues_[other];
  }
  return *queues_[index];
}

std::string RouterOsShaper::describe_queue(const QueueRef& queue) const {
  return "queue " + std::string(to_string(queue.kind)) + " '" + queue.name + "'";
}

std::string RouterOsShaper::describe(Direction direction) const {
  const std::optional<QueueRef>& queue = queues_[static_cast<int>(direction)];
  return queue ? describe_queue(*queue) + " on " + client_->base_url() : "nothing";
}

RestResult RouterOsShaper::find_by_name(QueueRef& queue) {
  queue.id.clear();
  RestResult result = client_->get(std::string(queue_path(queue.kind)) + "?name=" + client_->escape(queue.name));
  if (result.status != ShaperStatus::ok) {
    return result;
  }

  if (!result.body.is_array()) {
    result.status = ShaperStatus::transient;
    result.error = "router responded to the lookup of " + describe_queue(queue) + " with something other than a list";
    return result;
  }
  if (result.body.empty()) {
    result.status = ShaperStatus::missing;
    result.error = describe_queue(queue) + " not found on " + client_->base_url() +
                   "; create it on the router or fix the queue name in [actuator]";
    return result;
  }
  if (result.body.size() > 1) {
    spdlog::warn("{} names {} queues on the router; using the first", describe_queue(queue), result.body.size());
  }

  nlohmann::json object = result.body.front();
  std::optional<std::string> id = object.is_object() ? string_field(object, ".id") : std::nullopt;
  if (!id) {
    result.status = ShaperStatus::transient;
    result.error = "router listed " + describe_queue(queue) + " without an .id";
    return result;
  }
  if (queue.kind == RouterQueueKind::type) {
    std::optional<std::string> kind = string_field(object, "kind");
    if (kind != "cake") {
      result.status = ShaperStatus::missing;
      result.error = describe_queue(queue) + " is of kind '" + kind.value_or("?") + "', not cake";
      return result;
    }
  }

  queue.id = *id;
  queue.last_object = object;
  result.body = std::move(object);
  return result;
}

RestResult RouterOsShaper::fetch(QueueRef& queue) {
  if (queue.id.empty()) {
    return find_by_name(queue);
  }
  std::string id = plain_id(queue.id) ? queue.id : client_->escape(queue.id);
  RestResult result = client_->get(std::string(queue_path(queue.kind)) + "/" + id);
  if (result.status == ShaperStatus::missing) {
    spdlog::info("{} with id {} is gone; looking it up by name", describe_queue(queue), queue.id);
    return find_by_name(queue);
  }
  if (result.status == ShaperStatus::ok && !result.body.is_object()) {
    result.status = ShaperStatus::transient;
    result.error = "router responded to the read of " + describe_queue(queue) + " with something other than an object";
    return result;
  }
  if (result.status == ShaperStatus::ok) {
    queue.last_object = result.body;
  }
  return result;
}

std::optional<std::uint64_t> RouterOsShaper::rate_of(Direction direction, const QueueRef& queue,
                                                     const nlohmann::json& object, std::string& error) const {
  const char* key = queue.kind == RouterQueueKind::type ? "cake-bandwidth" : "max-limit";
  std::optional<std::string> text = string_field(object, key);
  if (!text) {
    error = describe_queue(queue) + " has no string field " + key;
    return std::nullopt;
  }
  std::optional<std::string> value = queue.kind == RouterQueueKind::simple ? pair_half(*text, direction) : text;
  std::optional<std::uint64_t> rate = value ? parse_router_rate(*value) : std::nullopt;
  if (!rate) {
    error = describe_queue(queue) + " has " + key + " \"" + text->substr(0, 64) + "\", not a rate" +
            (queue.kind == RouterQueueKind::simple ? " pair \"upload/download\"" : "");
  }
  return rate;
}

std::optional<ShaperCounters> RouterOsShaper::counters_of(Direction direction, const QueueRef& queue,
                                                          const nlohmann::json& object, std::string& error) const {
  // Fields are read by exact key: "bytes" and "queued-bytes" are different counters.
  auto counter = [&](const char* key) -> std::optional<std::uint64_t> {
    std::optional<std::string> text = string_field(object, key);
    if (!text) {
      return std::nullopt;
    }
    std::optional<std::string> value = queue.kind == RouterQueueKind::simple ? pair_half(*text, direction) : text;
    return value ? parse_router_counter(*value) : std::nullopt;
  };

  std::optional<std::uint64_t> bytes = counter("bytes");
  if (!bytes) {
    error = describe_queue(queue) + " has no readable \"bytes\" counter";
    return std::nullopt;
  }
  ShaperCounters counters;
  counters.bytes = *bytes;
  counters.packets = counter("packets").value_or(0);
  counters.drops = counter("dropped").value_or(0);
  counters.backlog_bytes = static_cast<std::uint32_t>(std::min<std::uint64_t>(counter("queued-bytes").value_or(0), UINT32_MAX));
  counters.backlog_packets = static_cast<std::uint32_t>(std::min<std::uint64_t>(counter("queued-packets").value_or(0), UINT32_MAX));
  return counters;
}

void RouterOsShaper::handle_unauthorized(const RestResult& result) {
  if (result.status == ShaperStatus::unauthorized) {
    credentials_rejected_ = true;
  }
}

void RouterOsShaper::refresh_credentials() {
  if (!credentials_rejected_) {
    return;
  }
  // The next attempt uses a password rotated since the router rejected it.
  try {
    client_->reload_password();
    credentials_rejected_ = false;
  } catch (const std::exception& failure) {
    spdlog::error("{}", failure.what());
  }
}

ShaperReading RouterOsShaper::read(Direction direction) {
  refresh_credentials();
  ShaperReading reading;
  QueueRef& queue = rate_queue(direction);
  RestResult result = fetch(queue);
  reading.time_mono_ns = result.done_mono_ns;
  if (result.status != ShaperStatus::ok) {
    handle_unauthorized(result);
    reading.status = result.status;
    reading.error = result.error;
    return reading;
  }

  std::string error;
  reading.rate_bps = rate_of(direction, queue, result.body, error);
  if (!reading.rate_bps) {
    reading.status = ShaperStatus::transient;
    reading.error = error;
    return reading;
  }

  if (queue.kind != RouterQueueKind::type) {
    reading.counters = counters_of(direction, queue, result.body, error);
  } else if (std::optional<QueueRef>& stats = stats_queues_[static_cast<int>(direction)]) {
    RestResult stats_result = fetch(*stats);
    reading.time_mono_ns = stats_result.done_mono_ns;
    if (stats_result.status == ShaperStatus::ok) {
      reading.counters = counters_of(direction, *stats, stats_result.body, error);
    } else {
      error = stats_result.error;
    }
  }
  if (!reading.counters && !error.empty()) {
    spdlog::debug("{}", error);  // the rate is known; telemetry stays invalid for this interval
  }
  return reading;
}

nlohmann::json RouterOsShaper::write_body(Direction direction, const QueueRef& queue, std::uint64_t rate_bps,
                                          std::string& error) const {
  std::string rate = std::to_string(rate_bps);
  switch (queue.kind) {
    case RouterQueueKind::tree:
      return {{"max-limit", rate}};
    case RouterQueueKind::type:
      return {{"cake-bandwidth", rate}};
    case RouterQueueKind::simple: {
      // The other direction's half is sent back exactly as the router has it.
      std::optional<std::string> current = string_field(queue.last_object, "max-limit");
      std::optional<std::pair<std::string_view, std::string_view>> halves =
          current ? split_router_pair(*current) : std::nullopt;
      if (!halves) {
        error = describe_queue(queue) + " has max-limit \"" + current.value_or("") + "\", not \"upload/download\"";
        return nullptr;
      }
      std::string value = direction == Direction::upload ? rate + "/" + std::string(halves->second)
                                                         : std::string(halves->first) + "/" + rate;
      return {{"max-limit", value}};
    }
  }
  return nullptr;
}

ShaperWrite RouterOsShaper::write_rate(Direction direction, std::uint64_t rate_bps) {
  refresh_credentials();
  ShaperWrite write;
  QueueRef& queue = rate_queue(direction);

  // A simple queue's write needs the other half as the router has it now.
  if (queue.id.empty() || (queue.kind == RouterQueueKind::simple && queue.last_object.is_null())) {
    RestResult found = fetch(queue);
    if (found.status != ShaperStatus::ok) {
      handle_unauthorized(found);
      write.status = found.status;
      write.error = found.error;
      return write;
    }
  }

  RestResult result;
  for (int lookup = 0; lookup < 2; ++lookup) {
    std::string error;
    nlohmann::json body = write_body(direction, queue, rate_bps, error);
    if (body.is_null()) {
      write.status = ShaperStatus::rejected;
      write.error = error;
      return write;
    }
    std::string id = plain_id(queue.id) ? queue.id : client_->escape(queue.id);
    result = client_->patch(std::string(queue_path(queue.kind)) + "/" + id, body);
    if (result.status != ShaperStatus::missing || lookup == 1) {
      break;
    }

    // The queue was deleted, perhaps recreated under a new id.
    spdlog::info("{} with id {} is gone; looking it up by name", describe_queue(queue), queue.id);
    RestResult found = find_by_name(queue);
    if (found.status != ShaperStatus::ok) {
      result = found;
      break;
    }
  }

  write.confirmed_mono_ns = result.done_mono_ns;
  if (result.status != ShaperStatus::ok) {
    handle_unauthorized(result);
    write.status = result.status;
    write.error = result.error;
    return write;
  }

  // RouterOS responds to a PATCH with the whole object, so its rate confirms the write.
  std::string error;
  std::optional<std::uint64_t> stored =
      result.body.is_object() ? rate_of(direction, queue, result.body, error) : std::nullopt;
  if (!stored) {
    write.status = ShaperStatus::transient;
    write.error = "router responded to the write of " + describe_queue(queue) + " without a readable rate: " +
                  (error.empty() ? result.body.dump().substr(0, 120) : error);
    queue.last_object = nullptr;
    return write;
  }
  queue.last_object = result.body;
  if (*stored != rate_bps) {
    write.status = ShaperStatus::rejected;
    write.error = describe_queue(queue) + " holds " + std::to_string(*stored) + " bit/s after writing " +
                  std::to_string(rate_bps) + " bit/s";
    return write;
  }
  write.confirmed_rate_bps = *stored;
  return write;
}

}  // namespace wanctl
