// Ring benchmark between two real processes: throughput, wake latency of a
// blocked consumer, and the CPU an idle consumer uses. Prints one line per
// figure; scripts/bench-ring runs it.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "mono_time.hpp"
#include "object_name.hpp"
#include "ring.hpp"

using namespace wanctl;
using namespace std::chrono_literals;

namespace {

constexpr std::uint64_t kCapacity = 65536;

std::string bench_ring_name(const char* what) {
  return object_name("bench-" + std::to_string(::getpid()), what);
}

// Runs `body` in a child process and returns its exit status.
template <typename Body>
pid_t fork_child(Body body) {
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::_exit(body());
  }
  return pid;
}

void wait_child(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
}

// Pipe used by children to report one number to the parent.
struct ResultPipe {
  int fds[2];
  ResultPipe() {
    if (::pipe(fds) != 0) {
      std::perror("pipe");
      std::exit(1);
    }
  }
  void send(double value) const {
    if (::write(fds[1], &value, sizeof(value)) != sizeof(value)) {
      std::exit(1);
    }
  }
  double receive() const {
    double value = 0;
    if (::read(fds[0], &value, sizeof(value)) != sizeof(value)) {
      return -1;
    }
    return value;
  }
};

void bench_throughput(std::uint64_t records) {
  std::string name = bench_ring_name("throughput");
  auto writer = RingWriter<ProbeSample>::open(name, kCapacity, true);
  ResultPipe received;

  pid_t consumer = fork_child([&] {
    auto reader = RingReader<ProbeSample>::consumer(name, kCapacity);
    std::uint64_t count = 0;
    std::uint64_t last_id = 0;
    MonoTime first{};
    while (last_id + 1 < records) {
      auto entry = reader.try_read();
      if (!entry) {
        reader.wait(100ms);
        continue;
      }
      if (count == 0) {
        first = MonoClock::now();
      }
      last_id = entry->record.sample_id;
      ++count;
    }
    double seconds = std::chrono::duration<double>(MonoClock::now() - first).count();
    received.send(static_cast<double>(count));
    received.send(static_cast<double>(reader.lost()));
    received.send(static_cast<double>(count) / seconds);
    return 0;
  });

  std::this_thread::sleep_for(200ms);  // let the consumer attach and sleep
  ProbeSample sample{};
  auto start = MonoClock::now();
  for (std::uint64_t i = 0; i < records; ++i) {
    sample.sample_id = i;
    sample.send_mono_ns = static_cast<std::int64_t>(i);
    writer.push(sample);
  }
  double seconds = std::chrono::duration<double>(MonoClock::now() - start).count();
  double count = received.receive();
  double lost = received.receive();
  double delivered_per_s = received.receive();
  wait_child(consumer);
  SharedObject::remove(name);

  std::printf("pushed_records_per_s %.0f\n", static_cast<double>(records) / seconds);
  std::printf("delivered_records_per_s %.0f (%.0f of %llu read by the consumer, %.0f lost to overrun)\n",
              delivered_per_s, count, static_cast<unsigned long long>(records), lost);
}

void bench_wake_latency(int samples) {
  std::string name = bench_ring_name("wake");
  auto writer = RingWriter<ProbeSample>::open(name, kCapacity, true);
  ResultPipe results;

  pid_t consumer = fork_child([&] {
    auto reader = RingReader<ProbeSample>::consumer(name, kCapacity);
    for (int received = 0; received < samples;) {
      auto entry = reader.try_read();
      if (!entry) {
        reader.wait(1s);
        continue;
      }
      results.send(static_cast<double>(monotonic_now_ns() - entry->record.send_mono_ns) / 1000.0);
      ++received;
    }
    return 0;
  });

  std::this_thread::sleep_for(200ms);
  std::mt19937 random(1);
  std::uniform_int_distribution<int> gap_us(500, 1500);
  std::vector<double> latencies_us;
  for (int i = 0; i < samples; ++i) {
    std::this_thread::sleep_for(std::chrono::microseconds(gap_us(random)));
    ProbeSample sample{};
    sample.sample_id = static_cast<std::uint64_t>(i);
    sample.send_mono_ns = monotonic_now_ns();
    writer.push(sample);
    latencies_us.push_back(results.receive());
  }
  wait_child(consumer);
  SharedObject::remove(name);

  std::sort(latencies_us.begin(), latencies_us.end());
  auto at = [&](double share) { return latencies_us[static_cast<std::size_t>(share * (latencies_us.size() - 1))]; };
  std::printf("wake_latency_us p50 %.1f p99 %.1f max %.1f (%d wakes)\n", at(0.50), at(0.99),
              latencies_us.back(), samples);
}

void bench_idle_consumer(std::chrono::seconds duration) {
  std::string name = bench_ring_name("idle");
  auto writer = RingWriter<ProbeSample>::open(name, kCapacity, true);
  ResultPipe cpu;

  pid_t consumer = fork_child([&] {
    auto reader = RingReader<ProbeSample>::consumer(name, kCapacity);
    auto end = MonoClock::now() + duration;
    while (MonoClock::now() < end) {
      reader.wait(1s);
    }
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    double cpu_s = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                   static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    cpu.send(cpu_s);
    return 0;
  });
  double cpu_s = cpu.receive();
  wait_child(consumer);
  SharedObject::remove(name);
  std::printf("idle_consumer_cpu_ms %.2f over %lld s\n", cpu_s * 1000.0,
              static_cast<long long>(duration.count()));
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t records = argc > 1 ? std::stoull(argv[1]) : 50'000'000;
  bench_throughput(records);
  bench_wake_latency(3000);
  bench_idle_consumer(10s);
  return 0;
}
