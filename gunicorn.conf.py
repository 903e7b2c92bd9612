"""gunicorn's settings for the app (README: Production): `gunicorn 'app:create_app()'` reads
this file from the working directory. Every value can be overridden by the environment
variable named beside it, or on the command line."""
import multiprocessing
import os

bind = os.environ.get("BIND", "0.0.0.0:8000")
# Sync workers: each request is short and database-bound, and a sync worker is the one kind
# gunicorn can time out and replace when a request hangs. (2 × cores) + 1 is gunicorn's rule.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
# A certificate PDF or an Excel export of a large list is the slowest page (a few seconds at
# provincial scale); large roster imports go to the queue, so 60 s only ends a hung request.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
graceful_timeout = 30
keepalive = 5
# A worker is replaced after this many requests (with jitter, not all at once), which bounds
# what any slow leak in a library can grow to.
max_requests = 2000
max_requests_jitter = 200
# The app builds in each worker after the fork: no database connection is shared.
preload_app = False
# Standard output, one line per request: the peer's address (the proxy's, behind one: the
# client's own is on the audit row), the path without its query (which
# may carry a name or a number), the status, the bytes, the time in ms, and the request id
# the app answered with (X-Request-Id), which its log lines and audit rows carry too.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
access_log_format = ('%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms '
                     'request=%({x-request-id}o)s')
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
