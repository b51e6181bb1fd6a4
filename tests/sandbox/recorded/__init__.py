"""Replay of recorded production traffic (api.ctl.io, 2015-2016) against the sandbox; see corpus.py."""
