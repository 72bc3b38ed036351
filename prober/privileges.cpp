#include "privileges.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace wanctl::prober {
namespace {

std::string errno_text(int error_number) { return std::strerror(error_number); }

struct CapFree {
  void operator()(void* pointer) const { cap_free(pointer); }
};

bool has_effective(cap_value_t capability) {
  std::unique_ptr<_cap_struct, CapFree> current(cap_get_proc());
  if (!current) {
    return false;
  }
  cap_flag_value_t value = CAP_CLEAR;
  cap_get_flag(current.get(), capability, CAP_EFFECTIVE, &value);
  return value == CAP_SET;
}

// Removes every capability but the kept one from the bounding set, so that
// no later exec can regain them. Needs CAP_SETPCAP; without it the bounding
// set cannot shrink and stays as it is.
void shrink_bounding_set(bool keep_net_raw) {
  if (!has_effective(CAP_SETPCAP)) {
    return;
  }
  for (cap_value_t capability = 0; capability <= CAP_LAST_CAP; ++capability) {
    if (keep_net_raw && capability == CAP_NET_RAW) {
      continue;
    }
    if (CAP_IS_SUPPORTED(capability) && cap_drop_bound(capability) != 0 && errno != EINVAL) {
      throw PrivilegeError("cannot drop capability " + std::to_string(capability) +
                           " from the bounding set: " + errno_text(errno));
    }
  }
}

void switch_user(const std::string& user) {
  errno = 0;
  passwd* entry = ::getpwnam(user.c_str());
  if (entry == nullptr) {
    throw PrivilegeError("prober.user = \"" + user + "\": no such user" +
                         (errno != 0 ? " (" + errno_text(errno) + ")" : std::string()) +
                         "; create it or remove the key");
  }
  uid_t uid = entry->pw_uid;
  gid_t gid = entry->pw_gid;

  // Capabilities survive setuid only with keep-caps set; they are raised
  // again from the permitted set afterwards.
  if (::prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) != 0) {
    throw PrivilegeError("cannot set PR_SET_KEEPCAPS: " + errno_text(errno));
  }
  if (::initgroups(user.c_str(), gid) != 0) {
    throw PrivilegeError("cannot switch to user " + user + " (initgroups): " + errno_text(errno) +
                         "; start the prober as root or remove prober.user");
  }
  if (::setresgid(gid, gid, gid) != 0) {
    throw PrivilegeError("cannot switch to the group of user " + user + ": " + errno_text(errno));
  }
  if (::setresuid(uid, uid, uid) != 0) {
    throw PrivilegeError("cannot switch to user " + user + ": " + errno_text(errno));
  }
  ::prctl(PR_SET_KEEPCAPS, 0L, 0L, 0L, 0L);
}

// Leaves exactly CAP_NET_RAW (when kept and still permitted) in the
// permitted and effective sets, and nothing anywhere else.
void set_process_capabilities(bool keep_net_raw) {
  std::unique_ptr<_cap_struct, CapFree> current(cap_get_proc());
  cap_flag_value_t permitted = CAP_CLEAR;
  if (current) {
    cap_get_flag(current.get(), CAP_NET_RAW, CAP_PERMITTED, &permitted);
  }

  std::unique_ptr<_cap_struct, CapFree> wanted(cap_init());
  if (keep_net_raw && permitted == CAP_SET) {
    cap_value_t kept[] = {CAP_NET_RAW};
    cap_set_flag(wanted.get(), CAP_PERMITTED, 1, kept, CAP_SET);
    cap_set_flag(wanted.get(), CAP_EFFECTIVE, 1, kept, CAP_SET);
  }
  if (cap_set_proc(wanted.get()) != 0) {
    throw PrivilegeError("cannot drop capabilities: " + errno_text(errno));
  }
  if (CAP_AMBIENT_SUPPORTED()) {
    cap_reset_ambient();
  }
}

}  // namespace

std::string current_capabilities() {
  std::unique_ptr<_cap_struct, CapFree> current(cap_get_proc());
  if (!current) {
    return "unknown";
  }
  char* text = cap_to_text(current.get(), nullptr);
  std::string result = text != nullptr ? text : "unknown";
  cap_free(text);
  return result.empty() ? "none" : result;
}

std::string drop_privileges(const PrivilegePlan& plan) {
  shrink_bounding_set(plan.keep_net_raw);
  if (!plan.user.empty()) {
    switch_user(plan.user);
  }
  set_process_capabilities(plan.keep_net_raw);

  if (::prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) != 0) {
    throw PrivilegeError("cannot set no_new_privs: " + errno_text(errno));
  }
  std::string capabilities = current_capabilities();
  return "uid " + std::to_string(::getuid()) + ", gid " + std::to_string(::getgid()) + ", capabilities " +
         (capabilities == "=" ? "none" : capabilities);
}

}  // namespace wanctl::prober
