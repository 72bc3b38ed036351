#include "shaper.hpp"

namespace wanctl {

std::string_view to_string(ShaperStatus status) {
  switch (status) {
    case ShaperStatus::ok: return "ok";
    case ShaperStatus::transient: return "transient";
    case ShaperStatus::missing: return "missing";
    case ShaperStatus::unauthorized: return "unauthorized";
    case ShaperStatus::rejected: return "rejected";
  }
  return "unknown";
}

}  // namespace wanctl
