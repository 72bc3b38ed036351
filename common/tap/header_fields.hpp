// The header of a shared-memory object as printable fields: what it holds,
// who produces it, and where producer and consumer stand.
#pragma once

#include <vector>

#include "record_fields.hpp"
#include "shared_object.hpp"

namespace wanctl {

std::vector<Field> header_fields(const SharedObject& object);

}  // namespace wanctl
