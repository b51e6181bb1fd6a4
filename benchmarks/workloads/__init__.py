"""Client workloads, each run in its own process (ours in .venv, the SDK's in .sdk-venv)."""
