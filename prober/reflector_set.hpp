// The configured reflectors, which of them are active, and each one's recent
// health: outcomes of its last probes, replies, median RTT, and the rules
// that replace a failing reflector with a spare and switch a reflector whose
// timestamp replies are missing or invalid to echo.
//
// A timeout or error is held against a reflector only when other reflectors
// replied to probes sent shortly before and shortly after it (within one
// rotation over the active reflectors plus half a slot). Those replies show
// that the link worked around that moment. During a link-wide silence no
// reflector replies, and at its edges one side is missing, so no reflector
// is punished for it. NOTE: with a single active
// reflector there is never such evidence, so it is never replaced.
// A reflector that becomes active starts from clean statistics: nothing from
// an earlier activation (last reply, window, method) carries over.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "prober_config.hpp"
#include "records.hpp"

namespace wanctl::prober {

enum class Outcome : std::uint8_t { reply, bad_timestamp, timeout, error };

// Something the caller should log; ReflectorSet itself does no I/O.
struct ReflectorEvent {
  enum class Kind : std::uint8_t {
    fell_back_to_echo,  // `reflector` now gets echo requests
    replaced,           // `reflector` became a spare, `replacement` became active
    no_spare,           // `reflector` should be replaced but every reflector is active
  };
  Kind kind;
  std::uint16_t reflector;
  std::uint16_t replacement;
  std::uint32_t misses;              // timeouts and errors held against it in the window
  bool because_bad_timestamps;       // fell_back_to_echo: bad replies rather than none
};

class ReflectorSet {
 public:
  explicit ReflectorSet(const ProberConfig& config);

  std::size_t size() const { return reflectors_.size(); }
  std::size_t active_count() const { return positions_.size(); }
  const IpAddress& address(std::uint16_t id) const { return reflectors_[id].address; }

  // Returns the id of the reflector listed with this address, if any.
  std::optional<std::uint16_t> find(const IpAddress& address) const;

  // The reflector that probes in a slot: active reflectors take turns, so
  // each is probed every active_count slots and probes never bunch.
  std::uint16_t reflector_for_slot(std::uint64_t slot) const { return positions_[slot % positions_.size()]; }

  ProbeMethod method(std::uint16_t id) const { return reflectors_[id].method; }
  std::uint32_t activation(std::uint16_t id) const { return reflectors_[id].activation; }
  bool is_active(std::uint16_t id) const { return reflectors_[id].active; }

  // Makes every reflector use echo, e.g. when the socket cannot send
  // timestamp requests.
  void use_echo_only();

  void on_sent(std::uint16_t id);

  // Records how a probe sent during `activation` ended and returns what the
  // caller should log. Outcomes of probes from an earlier activation are
  // ignored, so that a reactivated reflector starts clean.
  std::vector<ReflectorEvent> on_outcome(std::uint16_t id, std::uint32_t activation, std::int64_t send_mono_ns,
                                         Outcome outcome, ProbeMethod method, std::int64_t rtt_ns);

  void fill_status(ProberStatus& status) const;

 private:
  struct WindowEntry {
    Outcome outcome;
    bool held_against;   // a timeout or error counted against the reflector
    std::int32_t rtt_us; // replies and bad timestamps
  };

  struct Reflector {
    IpAddress address;
    bool active = false;
    ProbeMethod method = ProbeMethod::echo;
    std::uint32_t activation = 0;         // counts activations; tags each probe sent
    std::uint32_t probes_sent = 0;        // since the last activation
    std::uint32_t replies = 0;            // since the last activation
    std::deque<WindowEntry> window;       // outcomes of the most recent probes
    std::uint32_t misses_held = 0;        // held_against entries in window
    std::uint32_t timestamp_failures = 0; // timestamp probes in a row without a valid timestamp
    // Send times (CLOCK_MONOTONIC ns) of the probes it replied to recently,
    // kept for as long as a probe of another reflector may wait for its verdict.
    std::deque<std::int64_t> replied_send_ns;
  };

  void activate(std::uint16_t id);
  bool others_replied_between(std::uint16_t id, std::int64_t from_ns, std::int64_t to_ns) const;
  bool link_worked_around(std::uint16_t id, std::int64_t send_mono_ns) const;
  void remember_reply(Reflector& reflector, std::int64_t send_mono_ns);
  void push_window(Reflector& reflector, const WindowEntry& entry);
  std::optional<ReflectorEvent> check_fallback(std::uint16_t id, Outcome outcome, bool held_against);
  std::optional<ReflectorEvent> check_replacement(std::uint16_t id);

  std::vector<Reflector> reflectors_;  // in configured order; the index is the reflector id
  std::vector<std::uint16_t> positions_;  // active reflectors, one per position in the rotation
  std::deque<std::uint16_t> spares_;      // inactive reflectors; a replaced one goes to the back
  ProbeMethod configured_method_;
  std::size_t window_probes_;
  std::uint32_t replacement_misses_;
  std::uint32_t fallback_failures_;
  std::int64_t evidence_window_ns_;  // active count + 0.5 slots each side of a missed probe
  std::int64_t history_ns_;          // how long replied_send_ns entries are kept
  bool echo_only_ = false;
};

}  // namespace wanctl::prober
