// The prober's event loop. It sends one probe per schedule slot and reads
// replies and ICMP errors with their kernel receive times. Each probe
// resolves once (reply, bad timestamp, error or timeout), every resolution
// goes to the samples ring, and reflector health goes to the status block.
//
// One thread waits in epoll on the sockets, a signalfd and a CLOCK_MONOTONIC
// timerfd armed at the absolute time of the next slot, deadline, reopen
// attempt or once-a-second housekeeping; nothing polls.
#pragma once

#include <spdlog/spdlog.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "backoff.hpp"
#include "egress.hpp"
#include "latest_block.hpp"
#include "logging.hpp"
#include "probe_tracker.hpp"
#include "receive_time.hpp"
#include "reflector_set.hpp"
#include "ring.hpp"
#include "slot_schedule.hpp"
#include "unique_fd.hpp"
#include "wan_config.hpp"

namespace wanctl::prober {

// A problem found while starting (bad interface, user, address, shared
// memory, sockets); the message names the key or object and what to do.
class StartupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Prober {
 public:
  // Log when no sample was written for this long while reflectors exist.
  static constexpr std::int64_t kSilenceNs = 2'000'000'000;
  static constexpr std::int64_t kHousekeepingNs = 1'000'000'000;
  // Reopen attempts after the interface disappeared: 250 ms, doubling to
  // 2 s, so probing resumes within 2 s of the interface's return.
  static constexpr std::int64_t kFirstRetryNs = 250'000'000;
  static constexpr std::int64_t kMaxRetryNs = 2'000'000'000;

  Prober(const WanConfig& config, std::shared_ptr<spdlog::logger> logger);

  // Opens the shared-memory objects and the sockets, then drops privileges.
  // Throws StartupError.
  void start(bool recreate);

  // Probes until SIGTERM, SIGINT or SIGHUP arrives; returns the exit status.
  int run();

 private:
  void check_startup_config() const;
  void open_sockets();
  void register_sockets();
  void unregister_sockets();

  void send_due(std::int64_t now_ns);
  void send_probe(std::uint64_t slot);
  void expire(std::int64_t now_ns);
  void housekeeping(std::int64_t now_ns);
  void wait_for_events(std::int64_t wake_ns);
  void drain(ProbeSocket& socket, bool error_queue);
  void log_receive_error(const SocketError& error);
  void handle(const Received& received);
  void handle_first_resolution(const ReceivedIcmp& icmp, const InFlightProbe& probe, ReceiveTime time,
                           std::int64_t kernel_realtime_ns, const ClockPair& after_read);
  void handle_events(const std::vector<ReflectorEvent>& events, std::int64_t now_ns);
  void handle_send_error(const InFlightProbe& probe, int error_number);

  void close_sockets(std::int64_t now_ns, const std::string& reason);
  void try_reopen(std::int64_t now_ns);
  void check_silence(std::int64_t now_ns);

  void write_sample(ProbeSample sample);
  void record_outcome(const InFlightProbe& probe, Outcome outcome, std::int64_t rtt_ns);
  void publish_status(std::int64_t now_ns);
  void set_last_error(const std::string& text);
  std::int64_t next_wake_ns() const;

  WanConfig config_;
  std::shared_ptr<spdlog::logger> log_;

  std::optional<RingWriter<ProbeSample>> samples_;
  std::optional<BlockWriter<ProberStatus>> status_block_;
  ProberStatus counters_{};  // counters and last_error; the rest is filled when published

  ReflectorSet reflectors_;
  ProbeTracker tracker_;
  Egress egress_;
  ReceiveClock receive_clock_;
  std::optional<SlotSchedule> schedule_;
  std::uint16_t next_sequence_;

  UniqueFd epoll_fd_;
  UniqueFd timer_fd_;
  std::int64_t armed_wake_ns_ = 0;     // CLOCK_MONOTONIC time the timerfd is set to, 0 after it fired
  std::vector<Received> received_;     // reused by drain() for each batch
  UniqueFd signal_fd_;
  bool stop_ = false;
  std::string stop_reason_;

  Backoff reopen_backoff_{kFirstRetryNs, kMaxRetryNs};
  std::int64_t reopen_at_ns_ = 0;      // next reopen attempt while the sockets are closed
  std::int64_t closed_since_ns_ = 0;   // when the sockets were closed
  std::string closed_reason_;

  std::int64_t next_housekeeping_ns_ = 0;
  std::int64_t last_sample_ns_ = 0;    // CLOCK_MONOTONIC of the last write, or of the start
  bool silence_reported_ = false;

  RepeatLimiter silence_limiter_;
  RepeatLimiter send_error_limiter_;
  RepeatLimiter icmp_error_limiter_;
  RepeatLimiter reopen_limiter_;
  RepeatLimiter clock_limiter_;
  RepeatLimiter stall_limiter_;
  RepeatLimiter no_spare_limiter_;
  RepeatLimiter receive_error_limiter_;
};

}  // namespace wanctl::prober
