// The shared-memory objects of one WAN instance, attached read-only by the
// exporter. An object that does not exist yet, or that its producer recreated
// or removed, is attached anew at the next refresh(), so the exporter can be
// started before or after the pipeline and survives any stage restart.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "latest_block.hpp"
#include "records.hpp"
#include "ring.hpp"

namespace wanctl {

enum class ObjectId { samples, decisions, status, telemetry, prober };
inline constexpr ObjectId kAllObjects[] = {ObjectId::samples, ObjectId::decisions, ObjectId::status,
                                           ObjectId::telemetry, ObjectId::prober};

enum class ObjectState { ok, missing, unreadable };

// What the header of one object shows, read at one refresh.
struct ObjectFacts {
  std::string name;               // e.g. "wanctl.wan1.samples"
  ObjectState state = ObjectState::missing;
  std::string problem;            // why it is missing or unreadable
  bool is_ring = false;
  std::uint64_t epoch = 0;        // producer starts since the object was created
  std::uint64_t producer_pid = 0;
  std::int64_t heartbeat_ns = 0;  // producer heartbeat, CLOCK_MONOTONIC
  std::int64_t newest_record_ns = 0;  // time of the newest record, 0 when none
  std::uint64_t write_index = 0;  // records (ring) or versions (block) published
  std::uint64_t consumer_index = 0;
  std::uint64_t consumer_lost = 0;  // records the consumer lost to overruns

  // The later of the heartbeat and the newest record: a ring producer may
  // push records without calling heartbeat().
  std::int64_t last_sign_of_life_ns() const { return std::max(heartbeat_ns, newest_record_ns); }
};

class InstanceObjects {
 public:
  explicit InstanceObjects(std::string instance);

  const std::string& instance() const { return instance_; }

  // Attaches objects that appeared and reattaches recreated ones, then reads
  // every header. Never writes to shared memory.
  void refresh();

  const ObjectFacts& facts(ObjectId id) const { return facts_[static_cast<int>(id)]; }

  // The newest record of each block, or nothing when it is not attached or
  // nothing was published yet.
  std::optional<BlockSnapshot<EstimatorStatus>> status() const;
  std::optional<BlockSnapshot<LinkTelemetry>> telemetry() const;
  std::optional<BlockSnapshot<ProberStatus>> prober() const;

 private:
  template <typename Reader, typename Open>
  void refresh_one(ObjectId id, std::optional<Reader>& reader, Open open);

  std::string instance_;
  std::optional<RingReader<ProbeSample>> samples_;
  std::optional<RingReader<RateDecision>> decisions_;
  std::optional<BlockReader<EstimatorStatus>> status_;
  std::optional<BlockReader<LinkTelemetry>> telemetry_;
  std::optional<BlockReader<ProberStatus>> prober_;
  ObjectFacts facts_[5];
};

std::string_view to_string(ObjectId id);

}  // namespace wanctl
