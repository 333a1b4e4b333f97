"""Scrapy settings of the fanzha crawler: polite by default, robust against bad pages.

Command-line (``-s``) and ``fanzha crawl`` values override these with priority
"cmdline"; a site profile's ``download_delay`` applies to its own spider. The
``FANZHA_*`` keys are the project's own, read by its components in ``from_crawler``.
"""

from __future__ import annotations

BOT_NAME = "fanzha"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

USER_AGENT = (
    "fanzha/0.1 (+https://github.com/fanzha/fanzha; research archive of anti-fraud "
    "bulletins; polite crawler, obeys robots.txt)"
)
ROBOTSTXT_OBEY = True

# Politeness: a delay per domain, adapted to the server's latency by AutoThrottle.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
# The pipelines are synchronous: more items in flight per response buy nothing, and
# Scrapy starts one asyncio worker per slot for every response (100 by default).
CONCURRENT_ITEMS = 8
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5  # +-50%, as RANDOMIZE_DOWNLOAD_DELAY did before Scrapy 2.14
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0

# Robustness: short enough that one dead page never holds a crawl for long.
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 3 * 1024 * 1024  # a 3 MB page is cut off and recorded as an error
DOWNLOAD_WARNSIZE = 1024 * 1024
FANZHA_SITEMAP_MAXSIZE = 50 * 1024 * 1024  # sitemaps may be up to 50 MB (sitemaps.org)
REDIRECT_ENABLED = True
REDIRECT_MAX_TIMES = 5
METAREFRESH_ENABLED = True
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# Retries wait before going again (exponential backoff): see crawler.middlewares.
FANZHA_RETRY_BACKOFF_BASE = 2.0
FANZHA_RETRY_BACKOFF_MAX = 60.0
HTTPERROR_ALLOW_ALL = True  # the spider sees 4xx/5xx and records them itself
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
DNS_TIMEOUT = 20

DOWNLOADER_MIDDLEWARES = {
    # Scrapy's, but every request waiting for robots.txt gets the parser (not just the first)
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.RobotsTxtMiddleware": 100,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    # sees responses before decompression: the WARC keeps them as they came
    "crawler.middlewares.WarcMiddleware": 960,
}
ITEM_PIPELINES = {
    "crawler.pipelines.ExtractPipeline": 100,
    "crawler.pipelines.RelevancePipeline": 200,
    "crawler.pipelines.StorePipeline": 300,
}
EXTENSIONS = {
    "crawler.extensions.RunRecorder": 500,
}

# Breadth-first: list pages before deep article chains, and less memory.
DEPTH_PRIORITY = 1
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"

REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
LOG_INSTALL_ROOT_HANDLER = True
DEFAULT_DROPITEM_LOG_LEVEL = "DEBUG"  # non-articles and off-topic pages are routine

# The project's own settings (read in from_crawler).
FANZHA_HOME = "fanzha-data"  # the archive's data folder
FANZHA_DB = None  # an SQLAlchemy URL; None is SQLite in the home
FANZHA_SITES_FILE = None  # a TOML file of extra site profiles
FANZHA_RUN_ID = None  # the crawl_run row to record into; None creates one
FANZHA_REFRESH = False  # fetch archived articles again
FANZHA_BATCH_SIZE = 200  # database writes: one commit per this many items...
FANZHA_BATCH_SECONDS = 1.0  # ...or per this many seconds, whichever comes first
FANZHA_WARC = True  # keep raw responses in HOME/warc
FANZHA_WARC_MAX_SIZE = 100 * 1024 * 1024  # rotate WARC files at this size
FANZHA_MIN_ARTICLE_CHARS = 150  # "long main text" when pages are judged by content
