#include "prober.hpp"

#include <net/if.h>
#include <pwd.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "service_notify.hpp"
#include "icmp_message.hpp"
#include "object_name.hpp"
#include "privileges.hpp"
#include "record_fields.hpp"
#include "sample_builder.hpp"
#include "timestamp_math.hpp"

namespace wanctl::prober {
namespace {

// epoll data tags; sockets use kSocketTag + their index in Egress::sockets().
constexpr std::uint64_t kSignalTag = 1;
constexpr std::uint64_t kTimerTag = 2;
constexpr std::uint64_t kSocketTag = 16;

// Error-queue messages read from one socket per wake, so a flood of ICMP
// errors cannot starve the schedule.
constexpr int kMaxErrorReadsPerWake = 16;

std::uint16_t random_u16() {
  std::uint16_t value = 0;
  if (::getrandom(&value, sizeof(value), 0) != sizeof(value)) {
    value = static_cast<std::uint16_t>(::getpid() ^ monotonic_now_ns());
  }
  return value;
}

double seconds(std::int64_t ns) { return static_cast<double>(ns) / 1e9; }

std::size_t in_flight_limit(const ProberConfig& config) {
  return static_cast<std::size_t>(std::ceil(config.probe_rate_hz * config.timeout_ms / 1000.0)) + 1;
}

std::string icmp_description(std::uint8_t family, std::uint8_t type, std::uint8_t code) {
  std::string name;
  if (family == AF_INET6) {
    name = type == kIcmp6DestinationUnreachable ? "destination unreachable"
           : type == kIcmp6PacketTooBig         ? "packet too big"
           : type == kIcmp6TimeExceeded         ? "time exceeded"
                                                : "ICMPv6 error";
  } else {
    name = type == kIcmpDestinationUnreachable ? "destination unreachable"
           : type == kIcmpTimeExceeded         ? "time exceeded"
                                               : "ICMP error";
  }
  return name + " (type " + std::to_string(type) + " code " + std::to_string(code) + ")";
}

UniqueFd make_epoll() {
  int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) {
    throw StartupError(std::string("cannot create epoll instance: ") + std::strerror(errno));
  }
  return UniqueFd(fd);
}

void epoll_add(int epoll_fd, int fd, std::uint64_t tag) {
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = tag;
  if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0) {
    throw StartupError(std::string("cannot add a descriptor to epoll: ") + std::strerror(errno));
  }
}

}  // namespace

Prober::Prober(const WanConfig& config, std::shared_ptr<spdlog::logger> logger)
    : config_(config),
      log_(std::move(logger)),
      reflectors_(config.prober),
      tracker_(in_flight_limit(config.prober)),
      egress_(config.prober, random_u16()),
      next_sequence_(random_u16()) {}

void Prober::check_startup_config() const {
  const ProberConfig& prober = config_.prober;
  if (!prober.interface.empty() && ::if_nametoindex(prober.interface.c_str()) == 0) {
    throw StartupError(config_.path + ": prober.interface = \"" + prober.interface +
                       "\": no such network interface; check the name with `ip link`");
  }
  if (!prober.user.empty() && ::getpwnam(prober.user.c_str()) == nullptr) {
    throw StartupError(config_.path + ": prober.user = \"" + prober.user +
                       "\": no such user; create it or remove the key");
  }
}

void Prober::open_sockets() {
  const ProberConfig& prober = config_.prober;
  try {
    egress_.open_first();
  } catch (const SocketError& error) {
    std::string key;
    if (error.error_number() == EADDRNOTAVAIL && prober.source_address) {
      throw StartupError(config_.path + ": prober.source_address = \"" + to_string(*prober.source_address) +
                         "\": " + error.what() + "; use an address of this host");
    }
    if (error.error_number() == ENODEV && !prober.interface.empty()) {
      throw StartupError(config_.path + ": prober.interface = \"" + prober.interface + "\": " + error.what());
    }
    throw StartupError(config_.path + ": " + error.what());
  }

  if (egress_.kind() == SocketKind::unprivileged) {
    reflectors_.use_echo_only();
    counters_.unprivileged_socket = 1;
    if (prober.method == ProbeMethod::timestamp) {
      log_->warn("probing through an unprivileged ICMP socket, which cannot send timestamp requests; "
                 "every reflector gets ICMP echo (grant CAP_NET_RAW for one-way delays)");
    }
  }
}

void Prober::start(bool recreate) {
  check_startup_config();

  try {
    samples_.emplace(RingWriter<ProbeSample>::open(object_name(config_.instance, RecordTraits<ProbeSample>::object),
                                                   RecordTraits<ProbeSample>::default_capacity, recreate));
    status_block_.emplace(
        BlockWriter<ProberStatus>::open(object_name(config_.instance, RecordTraits<ProberStatus>::object), recreate));
  } catch (const ShmError& error) {
    throw StartupError(error.what());
  }

  epoll_fd_ = make_epoll();
  open_sockets();
  register_sockets();

  timer_fd_ = UniqueFd(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (timer_fd_.get() < 0) {
    throw StartupError(std::string("cannot create a CLOCK_MONOTONIC timerfd: ") + std::strerror(errno));
  }
  epoll_add(epoll_fd_.get(), timer_fd_.get(), kTimerTag);

  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGHUP);
  ::sigprocmask(SIG_BLOCK, &stop_signals, nullptr);
  signal_fd_ = UniqueFd(::signalfd(-1, &stop_signals, SFD_NONBLOCK | SFD_CLOEXEC));
  if (signal_fd_.get() < 0) {
    throw StartupError(std::string("cannot create a signalfd: ") + std::strerror(errno));
  }
  epoll_add(epoll_fd_.get(), signal_fd_.get(), kSignalTag);

  // Raw sockets must be reopenable after the interface returns, and SO_MARK
  // needs CAP_NET_RAW too; nothing else is kept.
  bool keep_net_raw = egress_.kind() == SocketKind::raw || config_.prober.fwmark != 0;
  try {
    std::string result = drop_privileges(PrivilegePlan{config_.prober.user, keep_net_raw});
    log_->info("privileges dropped: {}", result);
  } catch (const PrivilegeError& error) {
    throw StartupError(config_.path + ": " + error.what());
  }
}

void Prober::register_sockets() {
  std::vector<ProbeSocket>& sockets = egress_.sockets();
  for (std::size_t i = 0; i < sockets.size(); ++i) {
    epoll_add(epoll_fd_.get(), sockets[i].fd(), kSocketTag + i);
  }
}

void Prober::unregister_sockets() {
  for (ProbeSocket& socket : egress_.sockets()) {
    ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, socket.fd(), nullptr);
  }
}

int Prober::run() {
  const ProberConfig& prober = config_.prober;
  std::int64_t start_ns = monotonic_now_ns();
  schedule_.emplace(start_ns, prober.probe_rate_hz);
  next_housekeeping_ns_ = start_ns + kHousekeepingNs;
  last_sample_ns_ = start_ns;
  publish_status(start_ns);

  log_->info("started: {} reflectors, {} active, {} probes/s, method {}, {} socket, timeout {} ms{}{}, "
             "samples ring {} (epoch {})",
             reflectors_.size(), reflectors_.active_count(), prober.probe_rate_hz, to_string(prober.method),
             to_string(egress_.kind()), prober.timeout_ms,
             prober.interface.empty() ? "" : ", interface " + prober.interface,
             prober.fwmark == 0 ? "" : ", fwmark " + std::to_string(prober.fwmark), samples_->name(),
             samples_->epoch());
  service::ready("probing");

  while (!stop_) {
    // The loop wakes at least once per housekeeping interval, so the
    // watchdog stops only when the loop itself is stuck.
    service::watchdog_ping();
    std::int64_t now_ns = monotonic_now_ns();
    samples_->heartbeat(now_ns);
    status_block_->heartbeat(now_ns);

    if (!egress_.is_open() && now_ns >= reopen_at_ns_) {
      try_reopen(now_ns);
    }
    send_due(now_ns);
    expire(now_ns);
    if (now_ns >= next_housekeeping_ns_) {
      housekeeping(now_ns);
    }
    wait_for_events(next_wake_ns());
  }

  service::stopping("stopping");
  std::int64_t now_ns = monotonic_now_ns();
  publish_status(now_ns);
  log_->info("stopping on {}: {} probes sent, {} replies, {} timeouts, {} errors", stop_reason_,
             counters_.probes_sent, counters_.replies, counters_.timeouts, counters_.errors);
  return 0;
}

std::int64_t Prober::next_wake_ns() const {
  std::int64_t wake_ns = next_housekeeping_ns_;
  if (egress_.is_open()) {
    wake_ns = std::min(wake_ns, schedule_->next_slot_ns());
  } else {
    wake_ns = std::min(wake_ns, reopen_at_ns_);
  }
  return wake_ns;
}

void Prober::wait_for_events(std::int64_t wake_ns) {
  if (std::optional<std::int64_t> deadline = tracker_.next_deadline_ns()) {
    wake_ns = std::min(wake_ns, *deadline);
  }
  // The timer stays armed after a wake by a socket; it is set again only
  // when the wake time changes or it fired.
  if (wake_ns != armed_wake_ns_) {
    itimerspec timer{};
    timer.it_value.tv_sec = wake_ns / 1'000'000'000;
    timer.it_value.tv_nsec = wake_ns % 1'000'000'000;
    if (timer.it_value.tv_sec == 0 && timer.it_value.tv_nsec == 0) {
      timer.it_value.tv_nsec = 1;  // all zero would disarm the timer
    }
    ::timerfd_settime(timer_fd_.get(), TFD_TIMER_ABSTIME, &timer, nullptr);
    armed_wake_ns_ = wake_ns;
  }

  receive_clock_.observe(read_clock_pair());
  std::array<epoll_event, 8> events;
  int count = ::epoll_wait(epoll_fd_.get(), events.data(), static_cast<int>(events.size()), -1);
  if (count < 0) {
    if (errno != EINTR) {
      log_->error("epoll_wait failed: {}", std::strerror(errno));
    }
    return;
  }

  for (int i = 0; i < count; ++i) {
    std::uint64_t tag = events[static_cast<std::size_t>(i)].data.u64;
    if (tag == kSignalTag) {
      signalfd_siginfo info{};
      if (::read(signal_fd_.get(), &info, sizeof(info)) == sizeof(info)) {
        stop_ = true;
        stop_reason_ = ::strsignal(static_cast<int>(info.ssi_signo));
      }
    } else if (tag == kTimerTag) {
      // Setting the timer again, which the next pass always does now,
      // clears its readiness without a read.
      armed_wake_ns_ = 0;
    } else if (tag >= kSocketTag) {
      std::vector<ProbeSocket>& sockets = egress_.sockets();
      std::size_t index = tag - kSocketTag;
      if (index >= sockets.size()) {
        continue;  // closed during this wake
      }
      if (events[static_cast<std::size_t>(i)].events & EPOLLERR) {
        drain(sockets[index], true);
      }
      if (egress_.is_open() && index < egress_.sockets().size()) {
        drain(egress_.sockets()[index], false);
      }
    }
  }
}

void Prober::send_due(std::int64_t now_ns) {
  if (!egress_.is_open()) {
    return;
  }
  std::int64_t late_ns = now_ns - schedule_->next_slot_ns();
  std::optional<SlotSchedule::DueSlot> due = schedule_->take_due(now_ns);
  if (!due) {
    return;
  }
  if (due->skipped > 0) {
    counters_.skipped_slots += due->skipped;
    if (stall_limiter_.allow("stall", MonoClock::now())) {
      log_->warn("skipped {} probe slots: the prober woke {:.1f} ms late (the process was stopped or starved); "
                 "missed probes are not sent late{}",
                 due->skipped, static_cast<double>(late_ns) / 1e6,
                 stall_limiter_.suppressed() > 0
                     ? fmt::format(" ({} similar stalls not logged)", stall_limiter_.suppressed())
                     : "");
    }
  }
  if (due->slot) {
    send_probe(*due->slot);
  }
}

void Prober::send_probe(std::uint64_t slot) {
  std::uint16_t id = reflectors_.reflector_for_slot(slot);
  const IpAddress& address = reflectors_.address(id);
  ProbeSocket* socket = egress_.socket(address.family);

  InFlightProbe probe;
  probe.sequence = next_sequence_++;
  probe.reflector_id = id;
  probe.method = reflectors_.method(id);
  probe.activation = reflectors_.activation(id);

  ClockPair now = read_clock_pair();
  probe.send_mono_ns = now.monotonic_ns;
  probe.deadline_mono_ns = now.monotonic_ns + std::int64_t{config_.prober.timeout_ms} * 1'000'000;
  probe.originate_ms = realtime_to_timestamp_ms(now.realtime_ns);

  std::array<std::uint8_t, kMaxRequestBytes> buffer;
  std::size_t length =
      build_request(ProbeRequest{address.family, probe.method, socket->identifier(), probe.sequence, probe.originate_ms},
                    buffer);
  int error_number = socket->send(address, std::span<const std::uint8_t>(buffer.data(), length));
  if (error_number != 0) {
    handle_send_error(probe, error_number);
    return;
  }

  ++counters_.probes_sent;
  reflectors_.on_sent(id);
  if (std::optional<InFlightProbe> evicted = tracker_.add(probe)) {
    ++counters_.timeouts;
    write_sample(make_timeout_sample(*evicted, reflectors_.address(evicted->reflector_id)));
    record_outcome(*evicted, Outcome::timeout, 0);
  }
}

void Prober::handle_send_error(const InFlightProbe& probe, int error_number) {
  const IpAddress& address = reflectors_.address(probe.reflector_id);
  std::int64_t now_ns = probe.send_mono_ns;
  std::optional<std::string> interface_problem = egress_.interface_problem();
  if (Egress::is_interface_error(error_number) || interface_problem) {
    close_sockets(now_ns, interface_problem ? *interface_problem
                                            : "sending to " + to_string(address) + " failed: " +
                                                  std::strerror(error_number));
    return;
  }

  // The kernel refused this destination (no route, blackhole, prohibit,
  // firewall): the probe fails at once, as an error.
  ++counters_.send_errors;
  ++counters_.errors;
  std::string message = "cannot send to reflector " + to_string(address) + ": " + std::strerror(error_number);
  set_last_error(message);
  if (send_error_limiter_.allow(message, MonoClock::now())) {
    log_->warn("{}; recorded as an error sample{}", message,
               send_error_limiter_.suppressed() > 0
                   ? fmt::format(" ({} repeats not logged)", send_error_limiter_.suppressed())
                   : "");
  }
  write_sample(make_send_error_sample(probe, address));
  record_outcome(probe, Outcome::error, 0);
}

void Prober::expire(std::int64_t now_ns) {
  while (std::optional<InFlightProbe> probe = tracker_.take_expired(now_ns)) {
    ++counters_.timeouts;
    write_sample(make_timeout_sample(*probe, reflectors_.address(probe->reflector_id)));
    record_outcome(*probe, Outcome::timeout, 0);
  }
}

void Prober::drain(ProbeSocket& socket, bool error_queue) {
  if (error_queue) {
    for (int read = 0; read < kMaxErrorReadsPerWake; ++read) {
      std::optional<Received> received;
      try {
        received = socket.receive_error();
      } catch (const SocketError& error) {
        log_receive_error(error);
        return;
      }
      if (!received) {
        return;
      }
      handle(*received);
    }
    return;
  }

  // One batch per wake: when more is queued, epoll reports the socket
  // readable again at once, and a busy socket cannot starve the schedule.
  received_.clear();
  try {
    socket.receive_batch(received_);
  } catch (const SocketError& error) {
    // An unprivileged socket reports a queued ICMP error once through a
    // failing read; the error queue carries the details.
    log_receive_error(error);
    return;
  }
  for (const Received& received : received_) {
    handle(received);
  }
}

void Prober::log_receive_error(const SocketError& error) {
  if (receive_error_limiter_.allow(error.what(), MonoClock::now())) {
    log_->debug("{}", error.what());
  }
}

void Prober::handle(const Received& received) {
  ClockPair after_read = read_clock_pair();
  if (!received.icmp) {
    return;
  }
  const ReceivedIcmp& icmp = *received.icmp;
  std::optional<std::uint16_t> id = reflectors_.find(icmp.reflector);
  if (!id) {
    ++counters_.unmatched;
    return;
  }

  ProbeState outcome = icmp.kind == IcmpKind::reply ? ProbeState::replied : ProbeState::failed;
  ReceiveTime time = received.kernel_realtime_ns != 0
                         ? receive_clock_.convert(received.kernel_realtime_ns, after_read)
                         : ReceiveTime{after_read.monotonic_ns, true};
  InFlightProbe probe;
  switch (tracker_.resolve(icmp.sequence, *id, icmp.method, outcome, time.monotonic_ns, probe)) {
    case Match::unknown:
      ++counters_.unmatched;
      return;
    case Match::duplicate:
      ++counters_.duplicates;
      return;
    case Match::late:
      ++counters_.late_replies;
      return;
    case Match::expired:
      ++counters_.late_replies;
      ++counters_.timeouts;
      write_sample(make_timeout_sample(probe, reflectors_.address(probe.reflector_id)));
      record_outcome(probe, Outcome::timeout, 0);
      return;
    case Match::first:
      break;
  }
  handle_first_resolution(icmp, probe, time, received.kernel_realtime_ns, after_read);
}

void Prober::handle_first_resolution(const ReceivedIcmp& icmp, const InFlightProbe& probe, ReceiveTime time,
                                 std::int64_t kernel_realtime_ns, const ClockPair& after_read) {
  // No reply or error arrives before its request left, so such a stamp comes
  // from a wall clock stepped forward.
  if (time.monotonic_ns < probe.send_mono_ns) {
    time = ReceiveTime{after_read.monotonic_ns, true};
  }
  if (time.fell_back) {
    ++counters_.receive_time_fallbacks;
    if (clock_limiter_.allow("clock", MonoClock::now())) {
      log_->warn("a receive timestamp was not usable (the wall clock stepped, or the kernel gave none); "
                 "used the time it was read instead; {} such receives so far",
                 counters_.receive_time_fallbacks);
    }
  }

  const IpAddress& address = reflectors_.address(probe.reflector_id);
  if (icmp.kind == IcmpKind::error) {
    ++counters_.errors;
    std::string message = "reflector " + to_string(address) + ": " +
                          icmp_description(address.family, icmp.type, icmp.code) + " from " +
                          to_string(icmp.sender);
    set_last_error(message);
    if (icmp_error_limiter_.allow(message, MonoClock::now())) {
      log_->warn("{}; recorded as an error sample{}", message,
                 icmp_error_limiter_.suppressed() > 0
                     ? fmt::format(" ({} repeats not logged)", icmp_error_limiter_.suppressed())
                     : "");
    }
    write_sample(make_error_sample(probe, address, icmp, time.monotonic_ns));
    record_outcome(probe, Outcome::error, 0);
    return;
  }

  std::int64_t local_receive_realtime_ns = kernel_realtime_ns != 0 ? kernel_realtime_ns : after_read.realtime_ns;
  ProbeSample sample = make_reply_sample(probe, address, icmp, time.monotonic_ns,
                                         realtime_to_timestamp_ms(local_receive_realtime_ns));
  ++counters_.replies;
  Outcome result = Outcome::reply;
  if (sample.status == SampleStatus::bad_timestamp) {
    ++counters_.bad_timestamps;
    result = Outcome::bad_timestamp;
  }
  write_sample(sample);
  record_outcome(probe, result, sample.rtt_ns);
}

void Prober::record_outcome(const InFlightProbe& probe, Outcome outcome, std::int64_t rtt_ns) {
  std::vector<ReflectorEvent> events =
      reflectors_.on_outcome(probe.reflector_id, probe.activation, probe.send_mono_ns, outcome, probe.method, rtt_ns);
  if (!events.empty()) {
    handle_events(events, monotonic_now_ns());
  }
}

void Prober::handle_events(const std::vector<ReflectorEvent>& events, std::int64_t now_ns) {
  const ProberConfig& prober = config_.prober;
  for (const ReflectorEvent& event : events) {
    std::string reflector = to_string(reflectors_.address(event.reflector));
    switch (event.kind) {
      case ReflectorEvent::Kind::fell_back_to_echo:
        log_->warn("reflector {}: {} timestamp probes in a row {}; probing it with ICMP echo from now on",
                   reflector, prober.timestamp_fallback_probes,
                   event.because_bad_timestamps ? "ended without a valid timestamp (last: invalid times)"
                                                : "ended without a timestamp reply");
        break;
      case ReflectorEvent::Kind::replaced:
        ++counters_.replacements;
        log_->warn("reflector {} missed {} of its last {} probes while others replied; replaced by {}, "
                   "which starts with clean statistics",
                   reflector, event.misses, prober.replacement_window_probes,
                   to_string(reflectors_.address(event.replacement)));
        break;
      case ReflectorEvent::Kind::no_spare:
        if (no_spare_limiter_.allow(reflector, MonoClock::now())) {
          log_->warn("reflector {} missed {} of its last {} probes while others replied, but no spare "
                     "reflector is left to replace it; list more reflectors",
                     reflector, event.misses, prober.replacement_window_probes);
        }
        continue;
    }
  }
  publish_status(now_ns);
}

void Prober::housekeeping(std::int64_t now_ns) {
  next_housekeeping_ns_ = std::max(next_housekeeping_ns_ + kHousekeepingNs, now_ns + kHousekeepingNs / 2);
  if (egress_.is_open()) {
    if (std::optional<std::string> problem = egress_.interface_problem()) {
      close_sockets(now_ns, *problem);
    }
  }
  check_silence(now_ns);
  publish_status(now_ns);
}

void Prober::close_sockets(std::int64_t now_ns, const std::string& reason) {
  unregister_sockets();
  egress_.close();
  closed_since_ns_ = now_ns;
  closed_reason_ = reason;
  counters_.sockets_open = 0;
  reopen_backoff_.reset();
  std::int64_t delay_ns = reopen_backoff_.next_delay_ns();
  reopen_at_ns_ = now_ns + delay_ns;
  set_last_error(reason);
  log_->warn("sockets closed: {}; reopening in {:.2f} s, then with growing delays up to {:.0f} s", reason,
             seconds(delay_ns), seconds(kMaxRetryNs));
  publish_status(now_ns);
}

void Prober::try_reopen(std::int64_t now_ns) {
  try {
    egress_.reopen();
  } catch (const SocketError& error) {
    std::int64_t delay_ns = reopen_backoff_.next_delay_ns();
    reopen_at_ns_ = now_ns + delay_ns;
    closed_reason_ = error.what();
    set_last_error(closed_reason_);
    if (reopen_limiter_.allow(closed_reason_, MonoClock::now())) {
      log_->warn("cannot reopen sockets: {}; next attempt in {:.2f} s", closed_reason_, seconds(delay_ns));
    }
    return;
  }

  register_sockets();
  counters_.sockets_open = 1;
  reopen_backoff_.reset();
  schedule_.emplace(now_ns, config_.prober.probe_rate_hz);
  log_->info("sockets reopened after {:.1f} s; probing resumes", seconds(now_ns - closed_since_ns_));
  publish_status(now_ns);
}

void Prober::check_silence(std::int64_t now_ns) {
  std::int64_t silent_ns = now_ns - last_sample_ns_;
  if (reflectors_.active_count() == 0 || silent_ns < kSilenceNs) {
    return;
  }
  // The limiter key leaves out the elapsed time, so one cause is logged
  // once a minute rather than every second.
  std::string cause;
  std::string detail;
  if (!egress_.is_open()) {
    cause = "sockets closed: " + closed_reason_;
    detail = fmt::format("sockets closed {:.1f} s ago: {}", seconds(now_ns - closed_since_ns_), closed_reason_);
  } else if (tracker_.pending() > 0) {
    cause = "probes in flight";
    detail = std::to_string(tracker_.pending()) + " probes in flight, none replied to or timed out yet";
  } else {
    cause = "nothing sent";
    detail = "no probe was sent; the process was stopped or starved";
  }
  silence_reported_ = true;
  if (silence_limiter_.allow(cause, MonoClock::now())) {
    log_->warn("no samples written for {:.1f} s: {}", seconds(silent_ns), detail);
  }
}

void Prober::write_sample(ProbeSample sample) {
  std::int64_t now_ns = monotonic_now_ns();
  sample.sample_id = samples_->write_index();
  samples_->push(sample);
  counters_.last_sample_mono_ns = now_ns;
  if (silence_reported_) {
    log_->info("samples resumed after {:.1f} s without any", seconds(now_ns - last_sample_ns_));
    silence_reported_ = false;
  }
  last_sample_ns_ = now_ns;
}

void Prober::set_last_error(const std::string& text) {
  std::size_t length = std::min(text.size(), sizeof(counters_.last_error) - 1);
  std::memcpy(counters_.last_error, text.data(), length);
  counters_.last_error[length] = '\0';
}

void Prober::publish_status(std::int64_t now_ns) {
  ProberStatus status = counters_;
  status.time_mono_ns = now_ns;
  status.sockets_open = egress_.is_open() ? 1 : 0;
  reflectors_.fill_status(status);
  status_block_->publish(status);
}

}  // namespace wanctl::prober
