"""wanctl-supervise: runs each WAN's stages as separate processes and restarts them."""
