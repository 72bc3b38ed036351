"""The least privilege each stage runs with, as a setpriv command prefix.

The prober needs CAP_NET_RAW for its raw ICMP socket, a netlink actuator needs
CAP_NET_ADMIN to change qdiscs, and the estimator, a RouterOS actuator and
steering through RouterOS need no capability at all. Every stage runs with
no_new_privs, so nothing it executes can gain privileges back.
"""

import os
import pwd
import shutil

STAGE_CAPABILITIES = {
    "prober": ["net_raw"],
    "estimator": [],
    "actuator": ["net_admin"],
    "steering": ["net_admin"],
}


def stage_capabilities(stage, actuator_backend=""):
    if stage == "actuator" and actuator_backend == "routeros":
        return []
    return STAGE_CAPABILITIES[stage]


def privilege_prefix(capabilities, user=None):
    """Returns the command words that start a program with only `capabilities`.

    As root the bounding set alone limits what the program gets at exec; with
    `user` the program also runs under that user, keeping the capabilities as
    ambient ones. Without root nothing can be granted, so the prefix only sets
    no_new_privs and the stage must rely on file capabilities or unprivileged
    sockets.
    """
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        raise RuntimeError("setpriv not found; install util-linux")

    prefix = [setpriv, "--no-new-privs"]
    if os.geteuid() != 0:
        return prefix

    names = ",".join(f"+{capability}" for capability in capabilities)
    keep = f"-all,{names}" if names else "-all"
    prefix += [f"--bounding-set={keep}", f"--inh-caps={keep}"]
    if user is not None:
        entry = pwd.getpwnam(user)
        prefix += [f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--init-groups",
                   f"--ambient-caps={keep}"]
    return prefix + ["--"]
