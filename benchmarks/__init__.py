"""Reproducible measurements of clc_notebook against the official clc-sdk (`make bench`)."""
