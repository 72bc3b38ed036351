#include "wan_config.hpp"

#include "object_name.hpp"

namespace wanctl {

WanConfig read_wan_config(ConfigReader& reader) {
  WanConfig config;
  config.path = reader.path();

  config.instance = reader.string("instance.name", "");
  if (!reader.has("instance.name")) {
    reader.error("instance.name", "missing; name the WAN, e.g. name = \"wan1\" under [instance]");
  } else if (std::string problem = instance_name_error(config.instance); !problem.empty()) {
    reader.error("instance.name", problem);
  }
  read_logging_config(reader, config.logging);

  read_actuator_config(reader, config.actuator);
  read_prober_config(reader, config.prober);
  read_estimator_config(reader, config.estimator);

  reader.report_unknown_keys();
  return config;
}

WanConfig load_wan_config(const std::string& path) {
  ConfigReader reader = ConfigReader::load(path);
  WanConfig config = read_wan_config(reader);
  reader.throw_if_errors();
  return config;
}

}  // namespace wanctl
