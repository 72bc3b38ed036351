// Futex wait and wake on a 32-bit word in shared memory.
//
// libstdc++'s std::atomic::wait keys its waiters on a process-private table, so
// it cannot wake a process that maps the same object. These calls use the
// shared (non-private) futex operations, which the kernel keys on the backing
// file and offset, so they work across processes and on read-only mappings.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace wanctl {

// Sleeps while *word == expected, for at most timeout. Returns early on a wake,
// a signal, or when the word already differs. Costs one system call.
void futex_wait(const std::atomic<std::uint32_t>& word, std::uint32_t expected,
                std::chrono::nanoseconds timeout);

// Wakes every process sleeping on word.
void futex_wake_all(const std::atomic<std::uint32_t>& word);

}  // namespace wanctl
