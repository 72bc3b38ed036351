#include "instance_objects.hpp"

#include <sys/stat.h>

#include "object_name.hpp"
#include "tap/record_time.hpp"

namespace wanctl {
namespace {

bool object_exists(const std::string& name) {
  struct stat info {};
  return ::stat(object_path(name).c_str(), &info) == 0;
}

void read_header(const SharedObject& object, ObjectFacts& facts) {
  const ShmHeader& header = object.header();
  facts.is_ring = header.kind == ObjectKind::ring;
  facts.epoch = header.producer_epoch.load(std::memory_order_acquire);
  facts.producer_pid = header.producer_pid.load(std::memory_order_relaxed);
  facts.heartbeat_ns = header.producer_heartbeat_ns.load(std::memory_order_relaxed);
  facts.write_index = header.write_index.load(std::memory_order_acquire);
  facts.consumer_index = header.consumer_index.load(std::memory_order_relaxed);
  facts.consumer_lost = header.consumer_lost.load(std::memory_order_relaxed);
}

// Reads the newest record of a ring without moving any shared cursor; the
// observer's own position is all that changes.
template <ShmRecord T>
std::int64_t newest_record_ns(RingReader<T>& reader) {
  std::uint64_t head = reader.head();
  if (head == 0) {
    return 0;
  }
  reader.seek_to(head - 1);
  std::optional<RingEntry<T>> entry = reader.try_read();
  if (!entry) {
    return 0;
  }
  return record_time_ns(entry->record).value_or(0);
}

template <ShmRecord T>
std::int64_t newest_record_ns(BlockReader<T>& reader) {
  std::optional<BlockSnapshot<T>> snapshot = reader.read();
  return snapshot ? record_time_ns(snapshot->record).value_or(0) : 0;
}

}  // namespace

std::string_view to_string(ObjectId id) {
  switch (id) {
    case ObjectId::samples: return RecordTraits<ProbeSample>::object;
    case ObjectId::decisions: return RecordTraits<RateDecision>::object;
    case ObjectId::status: return RecordTraits<EstimatorStatus>::object;
    case ObjectId::telemetry: return RecordTraits<LinkTelemetry>::object;
    case ObjectId::prober: return RecordTraits<ProberStatus>::object;
  }
  return "unknown";
}

InstanceObjects::InstanceObjects(std::string instance) : instance_(std::move(instance)) {
  for (ObjectId id : kAllObjects) {
    facts_[static_cast<int>(id)].name = object_name(instance_, to_string(id));
  }
}

template <typename Reader, typename Open>
void InstanceObjects::refresh_one(ObjectId id, std::optional<Reader>& reader, Open open) {
  ObjectFacts& facts = facts_[static_cast<int>(id)];
  std::string name = facts.name;
  facts = ObjectFacts{};
  facts.name = name;

  if (reader && reader->object().replaced_by_name()) {
    reader.reset();
  }
  if (!reader) {
    if (!object_exists(name)) {
      facts.state = ObjectState::missing;
      facts.problem = name + " does not exist; its producer has not started";
      return;
    }
    try {
      reader.emplace(open(name));
    } catch (const ShmError& error) {
      facts.state = ObjectState::unreadable;
      facts.problem = error.what();
      return;
    }
  }

  facts.state = ObjectState::ok;
  read_header(reader->object(), facts);
  facts.newest_record_ns = newest_record_ns(*reader);
}

void InstanceObjects::refresh() {
  refresh_one(ObjectId::samples, samples_, [](const std::string& name) { return RingReader<ProbeSample>::observer(name); });
  refresh_one(ObjectId::decisions, decisions_,
              [](const std::string& name) { return RingReader<RateDecision>::observer(name); });
  refresh_one(ObjectId::status, status_, [](const std::string& name) { return BlockReader<EstimatorStatus>::open(name); });
  refresh_one(ObjectId::telemetry, telemetry_,
              [](const std::string& name) { return BlockReader<LinkTelemetry>::open(name); });
  refresh_one(ObjectId::prober, prober_, [](const std::string& name) { return BlockReader<ProberStatus>::open(name); });
}

std::optional<BlockSnapshot<EstimatorStatus>> InstanceObjects::status() const {
  return status_ ? status_->read() : std::nullopt;
}

std::optional<BlockSnapshot<LinkTelemetry>> InstanceObjects::telemetry() const {
  return telemetry_ ? telemetry_->read() : std::nullopt;
}

std::optional<BlockSnapshot<ProberStatus>> InstanceObjects::prober() const {
  return prober_ ? prober_->read() : std::nullopt;
}

}  // namespace wanctl
