"""Testbed for wanctl: a bloated WAN link with real CAKE inside user-mode Linux.

Modules that run on the host validate scenarios and build reports. Modules
that run inside the user-mode Linux kernel build the namespaces, drive the
scenario and sample the qdiscs.
"""
