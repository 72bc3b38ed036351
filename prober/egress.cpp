#include "egress.hpp"

#include <net/if.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

namespace wanctl::prober {

Egress::Egress(const ProberConfig& config, std::uint16_t identifier)
    : mode_(config.socket_mode), identifier_(identifier) {
  options_.interface = config.interface;
  options_.source_address = config.source_address;
  options_.fwmark = config.fwmark;
  for (const IpAddress& reflector : config.reflectors) {
    if (std::find(families_.begin(), families_.end(), reflector.family) == families_.end()) {
      families_.push_back(reflector.family);
    }
  }
}

void Egress::open_kind(SocketKind kind) {
  std::vector<ProbeSocket> opened;
  for (std::uint8_t family : families_) {
    opened.push_back(ProbeSocket::open(family, kind, options_, identifier_));
  }
  sockets_ = std::move(opened);
  kind_ = kind;
}

void Egress::open_first() {
  if (mode_ == SocketMode::unprivileged) {
    open_kind(SocketKind::unprivileged);
    return;
  }
  try {
    open_kind(SocketKind::raw);
  } catch (const SocketError& raw_error) {
    bool not_permitted = raw_error.error_number() == EPERM || raw_error.error_number() == EACCES;
    if (mode_ == SocketMode::raw || !not_permitted) {
      throw;
    }
    try {
      open_kind(SocketKind::unprivileged);
    } catch (const SocketError& unprivileged_error) {
      throw SocketError(std::string(raw_error.what()) + "; and " + unprivileged_error.what(),
                        unprivileged_error.error_number());
    }
  }
}

void Egress::reopen() { open_kind(kind_); }

void Egress::close() { sockets_.clear(); }

ProbeSocket* Egress::socket(std::uint8_t family) {
  for (ProbeSocket& socket : sockets_) {
    if (socket.family() == family) {
      return &socket;
    }
  }
  return nullptr;
}

std::optional<std::string> Egress::interface_problem() const {
  if (options_.interface.empty() || sockets_.empty()) {
    return std::nullopt;
  }
  int index = static_cast<int>(::if_nametoindex(options_.interface.c_str()));
  if (index == 0) {
    return "interface " + options_.interface + " no longer exists";
  }
  if (index != sockets_.front().bound_ifindex()) {
    return "interface " + options_.interface + " was re-created (index " +
           std::to_string(sockets_.front().bound_ifindex()) + " is now " + std::to_string(index) + ")";
  }
  return std::nullopt;
}

bool Egress::is_interface_error(int error_number) {
  return error_number == ENODEV || error_number == ENXIO || error_number == ENETDOWN ||
         error_number == EADDRNOTAVAIL;
}

}  // namespace wanctl::prober
