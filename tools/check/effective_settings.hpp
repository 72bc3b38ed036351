// Prints a validated configuration with every default filled in, in TOML.
// Secrets never appear: the files name where a password is, never the
// password itself, and that is all these functions print.
#pragma once

#include "exporter_config.hpp"
#include "settings_printer.hpp"
#include "steering_config.hpp"
#include "wan_config.hpp"

namespace wanctl {

void print_wan_settings(SettingsPrinter& out, const WanConfig& config);
void print_exporter_settings(SettingsPrinter& out, const ExporterConfig& config);
void print_steering_settings(SettingsPrinter& out, const SteeringConfig& config);
// The keys of a RouterOS connection, in the table printed last.
void print_router_settings(SettingsPrinter& out, const RouterOsConfig& router);
void print_logging_settings(SettingsPrinter& out, const LogOptions& options);

}  // namespace wanctl
