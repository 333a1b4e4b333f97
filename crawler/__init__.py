"""The Scrapy project: settings, items, one profile-driven spider, pipelines, profiles.

``scrapy crawl site -a site=KEY`` runs one site; ``crawler.runner.crawl`` runs many
in-process for ``fanzha crawl``. Public API: ``load_profiles``, ``SiteProfile``.
"""

from .profiles import SiteProfile, load_profiles

__all__ = ["SiteProfile", "load_profiles"]
