"""Imported once by the feed parsers' forkserver (see digest.ingest.feeds._parser_pool):
the parsing modules and the language model are loaded there, before any worker forks, so
every worker starts ready, sharing the model's pages, and the model is loaded once per
process tree instead of once per worker or on the main process's critical path."""

import feedparser  # noqa: F401
import ftfy  # noqa: F401
import nh3  # noqa: F401

import digest.ingest.parse  # noqa: F401
from digest.ingest.language import load_model

load_model()
