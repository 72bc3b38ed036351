"""Reads just enough of wanctl's TOML files to know what to start.

The stages validate their own files in full; the supervisor only needs the
instance or site name and the actuator backend, and reports a file it cannot
use with the file name and the missing key.
"""

import tomllib
from dataclasses import dataclass


class ConfigFileError(Exception):
    """A config file the supervisor cannot start stages for."""


@dataclass
class SiteFile:
    path: str
    kind: str  # "wan" or "steering"
    name: str  # WAN instance or steering site name
    actuator_backend: str = ""


def read_site_file(path):
    try:
        with open(path, "rb") as handle:
            document = tomllib.load(handle)
    except OSError as error:
        raise ConfigFileError(f"{path}: cannot read the file: {error.strerror}") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigFileError(f"{path}: invalid TOML: {error}") from error

    if "site" in document:
        name = document["site"].get("name")
        if not isinstance(name, str) or not name:
            raise ConfigFileError(f"{path}: site.name: missing; name the site under [site]")
        return SiteFile(path, "steering", name)

    instance = document.get("instance", {}).get("name")
    if not isinstance(instance, str) or not instance:
        raise ConfigFileError(
            f"{path}: instance.name: missing; a WAN file needs name = \"wan1\" under [instance], "
            "a steering file needs [site]")
    backend = document.get("actuator", {}).get("backend", "cake")
    return SiteFile(path, "wan", instance, backend if isinstance(backend, str) else "cake")
