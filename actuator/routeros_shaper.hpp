// The Shaper for a MikroTik RouterOS router over its REST API.
//
// Each direction drives one queue found by name: a queue tree's max-limit, a
// simple queue's max-limit ("upload/download", one queue may carry both
// directions), or a CAKE queue type's cake-bandwidth. Ids are cached and
// looked up again by name when the router responds with 404 (queue deleted and
// recreated). A write counts as applied only when the object the router
// sends back carries the new rate.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "actuator_config.hpp"
#include "routeros_client.hpp"
#include "shaper.hpp"

namespace wanctl {

class RouterOsShaper : public Shaper {
 public:
  // Throws std::runtime_error when the session cannot be set up.
  explicit RouterOsShaper(const ActuatorConfig& config);

  std::string describe(Direction direction) const override;
  ShaperReading read(Direction direction) override;
  ShaperWrite write_rate(Direction direction, std::uint64_t rate_bps) override;

  RouterOsClient& client() { return *client_; }

 private:
  struct QueueRef {
    RouterQueueKind kind = RouterQueueKind::tree;
    std::string name;
    std::string id;               // ".id" such as "*1A", empty until found
    nlohmann::json last_object;   // as last read or written
  };

  // Fetches the queue's object by cached id, or by name when no id is cached
  // or the id is gone (404).
  RestResult fetch(QueueRef& queue);
  RestResult find_by_name(QueueRef& queue);
  std::string describe_queue(const QueueRef& queue) const;

  // The direction's rate in `object`; `error` describes what was wrong with it.
  std::optional<std::uint64_t> rate_of(Direction direction, const QueueRef& queue, const nlohmann::json& object,
                                       std::string& error) const;
  std::optional<ShaperCounters> counters_of(Direction direction, const QueueRef& queue, const nlohmann::json& object,
                                            std::string& error) const;
  nlohmann::json write_body(Direction direction, const QueueRef& queue, std::uint64_t rate_bps, std::string& error) const;

  // The queue a direction's rate lives in; both directions share one simple queue.
  QueueRef& rate_queue(Direction direction);
  void handle_unauthorized(const RestResult& result);
  void refresh_credentials();

  ActuatorConfig config_;
  std::unique_ptr<RouterOsClient> client_;
  std::optional<QueueRef> queues_[kDirectionCount];
  std::optional<QueueRef> stats_queues_[kDirectionCount];  // queue tree counters for a queue type
  bool credentials_rejected_ = false;  // the router responded 401 or 403, so the password is read again before the next request
};

}  // namespace wanctl
