/*
 * Lets Debian's user-mode Linux 6.1 run on hosts with AMX (and other
 * extended register state larger than the kernel's buffer).
 *
 * That kernel saves and restores its processes' registers with
 * PTRACE_GETREGSET/PTRACE_SETREGSET and NT_X86_XSTATE, using a buffer sized
 * for AVX-512. The host refuses a SETREGSET whose buffer is not the full
 * XSAVE size with EFAULT, and user-mode Linux then panics at boot with
 * "ptrace set fp regs failed, errno = 14".
 *
 * Loaded with LD_PRELOAD, this wrapper retries such a refused call with a
 * buffer of the host's size: the kernel's bytes first, zeros after them, and
 * the AMX components marked as in their initial state. The emulated kernel
 * has no AMX support to grant its processes, so that state is initial
 * anyway and nothing is lost. Every other ptrace call passes through
 * unchanged.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>

typedef long (*ptrace_fn)(int, ...);

/* The XSAVE header's feature bitmap sits after the 512-byte legacy area. */
enum { kXstateBvOffset = 512 };
static const uint64_t kAmxFeatures = (1ull << 17) | (1ull << 18);

/* Larger than any XSAVE area a current CPU defines (AMX makes it ~11 KiB). */
static _Alignas(64) unsigned char full_xstate[65536];
static size_t host_xstate_bytes;

static ptrace_fn real_ptrace(void) {
  static ptrace_fn real;
  if (real == NULL) {
    real = (ptrace_fn)dlsym(RTLD_NEXT, "ptrace");
  }
  return real;
}

/* The host's XSAVE size for a traced process: a read into a buffer larger
 * than any area returns exactly that many bytes. */
static size_t query_host_xstate_bytes(pid_t pid) {
  struct iovec probe = {full_xstate, sizeof full_xstate};
  if (real_ptrace()(PTRACE_GETREGSET, pid, (void*)(long)NT_X86_XSTATE, &probe) != 0) {
    return 0;
  }
  return probe.iov_len;
}

static long set_padded_xstate(pid_t pid, const struct iovec* short_buffer) {
  if (host_xstate_bytes == 0) {
    host_xstate_bytes = query_host_xstate_bytes(pid);
  }
  if (host_xstate_bytes <= short_buffer->iov_len || host_xstate_bytes > sizeof full_xstate) {
    errno = EFAULT;
    return -1;
  }

  memset(full_xstate, 0, host_xstate_bytes);
  memcpy(full_xstate, short_buffer->iov_base, short_buffer->iov_len);

  uint64_t features;
  memcpy(&features, full_xstate + kXstateBvOffset, sizeof features);
  features &= ~kAmxFeatures;
  memcpy(full_xstate + kXstateBvOffset, &features, sizeof features);

  struct iovec padded = {full_xstate, host_xstate_bytes};
  return real_ptrace()(PTRACE_SETREGSET, pid, (void*)(long)NT_X86_XSTATE, &padded);
}

long ptrace(enum __ptrace_request request, ...) {
  va_list args;
  va_start(args, request);
  pid_t pid = va_arg(args, pid_t);
  void* addr = va_arg(args, void*);
  void* data = va_arg(args, void*);
  va_end(args);

  int is_xstate_set = request == PTRACE_SETREGSET && (long)addr == NT_X86_XSTATE && data != NULL;

  /* Once the host's size is known, a short buffer is padded at once, which
   * saves a failing call on every context switch. */
  if (is_xstate_set && host_xstate_bytes > ((const struct iovec*)data)->iov_len) {
    return set_padded_xstate(pid, data);
  }

  long result = real_ptrace()(request, pid, addr, data);
  if (result == -1 && errno == EFAULT && is_xstate_set) {
    return set_padded_xstate(pid, data);
  }
  return result;
}
