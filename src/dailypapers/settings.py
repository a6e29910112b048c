"""The one settings module.

Every option is a ``DAILYPAPERS_*`` environment variable, parsed here and nowhere else.
Each one is listed in ``.env.sample`` and ``docs/configuration.md`` (a test checks that).
The secret key is generated into the data directory on first run; there is no fallback key.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path
from typing import NamedTuple
from urllib.parse import parse_qs, unquote, urlparse

BASE_DIR = Path(__file__).resolve().parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(f"DAILYPAPERS_{name}", default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = env(name, "1" if default else "0").strip().lower()
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"DAILYPAPERS_{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = env(name, str(default))
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"DAILYPAPERS_{name} must be an integer, got {raw!r}") from None


def env_float(name: str, default: float) -> float:
    raw = env(name, str(default))
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"DAILYPAPERS_{name} must be a number, got {raw!r}") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DATA_DIR = Path(env("DATA_DIR", str(Path.cwd() / "data"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _load_or_create_secret_key(path: Path) -> str:
    explicit = env("SECRET_KEY")
    if explicit:
        return explicit
    if path.exists():
        key = path.read_text().strip()
        if len(key) >= 50:
            return key
        raise RuntimeError(f"{path} holds a secret key that is too short; delete it to regenerate")
    key = secrets.token_urlsafe(64)
    # O_EXCL: two processes starting at once must not overwrite each other's key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


SECRET_KEY = _load_or_create_secret_key(DATA_DIR / "secret_key")
# The file the key was read from (None when DAILYPAPERS_SECRET_KEY gives it): `check --deploy`
# looks at its permissions.
SECRET_KEY_FILE = None if env("SECRET_KEY") else DATA_DIR / "secret_key"
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_NAME = env("SITE_NAME", "Daily Papers")


def database_from_url(url: str) -> dict:
    """``sqlite:///path/to.db`` or ``postgresql://user:pass@host:port/name?sslmode=...``."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        # sqlite:////abs/path.db is absolute; sqlite:///rel/path.db is relative to the working dir.
        name = unquote(parsed.path)[1:]
        path = Path(name) if name.startswith("/") else (Path.cwd() / name)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(path),
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000; "
                    "PRAGMA cache_size=-64000; PRAGMA temp_store=MEMORY;"
                ),
            },
            "TEST": {"NAME": str(path.with_name(path.stem + "_test.sqlite3"))},
        }
    if parsed.scheme in {"postgres", "postgresql"}:
        options = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")) or "dailypapers",
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
        }
    raise ValueError(
        f"DAILYPAPERS_DATABASE_URL must start with sqlite:/// or postgresql://, got {url!r}"
    )


DATABASE_URL = env("DATABASE_URL", f"sqlite:///{DATA_DIR / 'dailypapers.sqlite3'}")
DATABASES = {"default": database_from_url(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # ninja: /api/docs loads its vendored Swagger UI as static files instead of from a CDN.
    "ninja",
    "dailypapers.papers",
    "dailypapers.ingest",
    "dailypapers.search",
    "dailypapers.accounts",
    "dailypapers.web",
    "dailypapers.community",
    "dailypapers.feeds",
    "dailypapers.tasks",
    "dailypapers.digests",
    # huey's Django integration: the HUEY setting below, db_task, run_huey (`dailypapers worker`).
    "huey.contrib.djhuey",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves /static/ under gunicorn too; with finders on, no collectstatic step is needed.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "dailypapers.web.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "dailypapers.urls"
WSGI_APPLICATION = "dailypapers.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dailypapers.web.contexts.site",
            ],
        },
    }
]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "accounts.login"
LOGIN_REDIRECT_URL = "papers.feed"
LOGOUT_REDIRECT_URL = "papers.feed"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns at every start when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

CACHE_URL = env("CACHE_URL", "locmem://")
CACHE_SECONDS = env_int("CACHE_SECONDS", 60)


def cache_from_url(url: str) -> dict:
    parsed = urlparse(url)
    if parsed.scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "dp"}
    if parsed.scheme in {"redis", "rediss"}:
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    if parsed.scheme == "dummy":
        return {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    raise ValueError(
        f"DAILYPAPERS_CACHE_URL must be locmem://, redis://host:port/db or dummy://, got {url!r}"
    )


CACHES = {"default": cache_from_url(CACHE_URL)}

# --- Security (docs/install.md, "Serving in production") -----------------------------------------
# TLS follows the scheme of DAILYPAPERS_SITE_URL. With https://, plain-HTTP requests are redirected,
# HSTS is sent, and the session and CSRF cookies are Secure with the __Host- prefix (so no other
# host of the domain can set or overwrite them). Whether a request came over HTTPS is gunicorn's
# call (`dailypapers serve`), which believes X-Forwarded-Proto only from loopback and
# DAILYPAPERS_TRUSTED_PROXIES: SECURE_PROXY_SSL_HEADER stays unset, as Django would believe that
# header from anyone who can reach gunicorn.
if "DAILYPAPERS_HTTPS" in os.environ:
    raise ValueError(
        "DAILYPAPERS_HTTPS is no longer read: HTTPS follows the scheme of DAILYPAPERS_SITE_URL. "
        "Set DAILYPAPERS_SITE_URL=https://your.host and remove DAILYPAPERS_HTTPS"
    )
_site = urlparse(SITE_URL)
if _site.scheme not in {"http", "https"} or not _site.hostname:
    raise ValueError(
        f"DAILYPAPERS_SITE_URL must be http:// or https:// and a host name, got {SITE_URL!r}"
    )
HTTPS = _site.scheme == "https"
SECURE_SSL_REDIRECT = HTTPS
HSTS_SECONDS = env_int("HSTS_SECONDS", 31_536_000)
HSTS_PRELOAD = env_bool("HSTS_PRELOAD", False)
if HSTS_SECONDS < 0:
    raise ValueError(f"DAILYPAPERS_HSTS_SECONDS must be 0 or more, got {HSTS_SECONDS}")
if HSTS_PRELOAD and HSTS_SECONDS < 31_536_000:
    raise ValueError(
        "DAILYPAPERS_HSTS_PRELOAD needs DAILYPAPERS_HSTS_SECONDS of at least 31536000 (a year), "
        f"as the browsers' preload lists require; got {HSTS_SECONDS}"
    )
SECURE_HSTS_SECONDS = HSTS_SECONDS if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = HSTS_PRELOAD
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
if HTTPS:
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
# Preloading is a promise to the browsers' built-in lists that is slow to take back, so it is
# opt-in (DAILYPAPERS_HSTS_PRELOAD) and `check --deploy` does not nag about it.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_REQUEST_BYTES", 1_048_576)


def email_from_url(url: str) -> dict:
    """``smtp://user:pass@host:587?starttls=true``, ``smtps://user:pass@host:465``, ``console://``,
    ``file:///folder`` or ``dummy://`` -> Django's EMAIL_* settings."""
    parsed = urlparse(url)
    scheme = parsed.scheme
    if scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if scheme == "dummy":
        return {"EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend"}
    if scheme == "file" and parsed.path:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": unquote(parsed.path),
        }
    if scheme in {"smtp", "smtps"} and parsed.hostname:
        query = {key: values[-1].lower() for key, values in parse_qs(parsed.query).items()}
        starttls = query.get("starttls", "false") in {"1", "true", "yes", "on"}
        if starttls and scheme == "smtps":
            raise ValueError("DAILYPAPERS_EMAIL_URL: smtps:// is TLS already; drop ?starttls")
        return smtp_email_settings(
            host=parsed.hostname,
            port=parsed.port or 0,
            user=unquote(parsed.username or ""),
            password=unquote(parsed.password or ""),
            starttls=starttls,
            tls=scheme == "smtps",
        )
    # The URL may hold a password: name only its scheme.
    raise ValueError(
        "DAILYPAPERS_EMAIL_URL must be smtp://host, smtps://host, console://, file:///folder "
        f"or dummy://, got a {scheme or 'schemeless'}: URL"
    )


def smtp_email_settings(
    *, host: str, port: int, user: str, password: str, starttls: bool, tls: bool
) -> dict:
    if starttls and tls:
        raise ValueError("DAILYPAPERS_EMAIL_STARTTLS and DAILYPAPERS_EMAIL_TLS exclude each other")
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": host,
        "EMAIL_PORT": port or (465 if tls else 587 if starttls else 25),
        "EMAIL_HOST_USER": user,
        "EMAIL_HOST_PASSWORD": password,
        "EMAIL_USE_TLS": starttls,
        "EMAIL_USE_SSL": tls,
    }


# Email: DAILYPAPERS_EMAIL_URL, or DAILYPAPERS_EMAIL_HOST and its companions, means SMTP; with
# neither, messages are printed to stdout (development: the confirmation link shows in the log).
_email_url = env("EMAIL_URL")
_email_host = env("EMAIL_HOST")
_email_port = env_int("EMAIL_PORT", 0)
_email_user = env("EMAIL_USER")
_email_password = env("EMAIL_PASSWORD")
_email_starttls = env_bool("EMAIL_STARTTLS", False)
_email_tls = env_bool("EMAIL_TLS", False)
_email_parts_set = any(
    [_email_host, _email_port, _email_user, _email_password, _email_starttls, _email_tls]
)
if _email_url and _email_parts_set:
    raise ValueError(
        "DAILYPAPERS_EMAIL_URL and DAILYPAPERS_EMAIL_HOST/PORT/USER/PASSWORD/STARTTLS/TLS "
        "exclude each other: set the URL or the parts"
    )
if _email_url:
    EMAIL = email_from_url(_email_url)
elif _email_host:
    EMAIL = smtp_email_settings(
        host=_email_host,
        port=_email_port,
        user=_email_user,
        password=_email_password,
        starttls=_email_starttls,
        tls=_email_tls,
    )
elif _email_parts_set:
    raise ValueError(
        "DAILYPAPERS_EMAIL_PORT/USER/PASSWORD/STARTTLS/TLS need DAILYPAPERS_EMAIL_HOST"
    )
else:
    EMAIL = email_from_url("console://")
EMAIL_BACKEND = EMAIL["EMAIL_BACKEND"]
EMAIL_HOST = EMAIL.get("EMAIL_HOST", "localhost")
EMAIL_PORT = EMAIL.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = EMAIL.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = EMAIL.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = EMAIL.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = EMAIL.get("EMAIL_USE_SSL", False)
EMAIL_FILE_PATH = EMAIL.get("EMAIL_FILE_PATH")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT_SECONDS", 10)
DEFAULT_FROM_EMAIL = env("EMAIL_FROM", f"{SITE_NAME} <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Upstreams: every network client reads its base URL here so tests can point it at a local server.
HF_API_URL = env("HF_API_URL", "https://huggingface.co").rstrip("/")
ARXIV_API_URL = env("ARXIV_API_URL", "https://export.arxiv.org/api/query")
ARXIV_OAI_URL = env("ARXIV_OAI_URL", "https://oaipmh.arxiv.org/oai")
UPSTREAM_DELAY_SECONDS = env_float("UPSTREAM_DELAY_SECONDS", 3)
UPSTREAM_RETRIES = env_int("UPSTREAM_RETRIES", 4)
UPSTREAM_TIMEOUT_SECONDS = env_float("UPSTREAM_TIMEOUT_SECONDS", 30)
# The largest upstream answer read (bytes, after gzip): far above a real one (an arXiv API page of
# 2,000 entries is ~5 MB), low enough that a hostile upstream cannot exhaust memory.
UPSTREAM_MAX_BYTES = env_int("UPSTREAM_MAX_BYTES", 50 * 1024 * 1024)
if UPSTREAM_MAX_BYTES < 1:
    raise ValueError(f"DAILYPAPERS_UPSTREAM_MAX_BYTES must be 1 or more, got {UPSTREAM_MAX_BYTES}")
# Paper submissions (docs/community.md): the arXiv API call a submission makes waits at most this
# long per attempt (a person is waiting; the bulk importer's UPSTREAM_TIMEOUT_SECONDS is for cron).
SUBMISSION_FETCH_TIMEOUT_SECONDS = env_float("SUBMISSION_FETCH_TIMEOUT_SECONDS", 10)
# A submitted paper's first arXiv version must be at most this many days old (0: any age), and a
# user may submit this many papers per UTC day (0: no cap). Moderators are exempt from both.
SUBMISSION_WINDOW_DAYS = env_int("SUBMISSION_WINDOW_DAYS", 14)
SUBMISSIONS_PER_DAY = env_int("SUBMISSIONS_PER_DAY", 5)
if SUBMISSION_WINDOW_DAYS < 0 or SUBMISSIONS_PER_DAY < 0:
    raise ValueError(
        "DAILYPAPERS_SUBMISSION_WINDOW_DAYS and DAILYPAPERS_SUBMISSIONS_PER_DAY must be 0 or more"
    )
if not SUBMISSION_FETCH_TIMEOUT_SECONDS > 0:
    raise ValueError("DAILYPAPERS_SUBMISSION_FETCH_TIMEOUT_SECONDS must be positive")
USER_AGENT = env("USER_AGENT", "dailypapers/0.1 (+https://github.com/dailypapers/dailypapers)")
# Comments (docs/community.md): the longest comment body accepted, in characters (Markdown source).
COMMENT_MAX_CHARS = env_int("COMMENT_MAX_CHARS", 10_000)
if not 1 <= COMMENT_MAX_CHARS <= 100_000:
    raise ValueError(
        f"DAILYPAPERS_COMMENT_MAX_CHARS must be between 1 and 100000, got {COMMENT_MAX_CHARS}"
    )

SHARED_DATA_DIR = Path(env("SHARED_DATA_DIR", str(Path.cwd().parent / "shared" / "data"))).resolve()

LOG_LEVEL = env("LOG_LEVEL", "INFO").upper()
# Search indexes: auto (PostgreSQL tables when the database is PostgreSQL with pgvector, else
# files in DATA_DIR/search), tantivy (files) or postgres. Checked by search.backend.search_backend.
SEARCH_BACKEND = env("SEARCH_BACKEND", "auto").strip().lower()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Signed tokens in URLs (digest and account links) are blanked out of every line (web.token_urls).
    "formatters": {
        "plain": {
            "class": "dailypapers.web.token_urls.ScrubbingFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s: %(message)s",
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "stream": "ext://sys.stdout",
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Only our handler: Django's own (console when DEBUG, mail_admins) would print unscrubbed.
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "django.db.backends": {"level": "INFO"},
        # With a handler here, huey's consumer does not add its own: each line is logged once.
        "huey": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
    },
}

NINJA_PAGINATION_MAX_LIMIT = 100


class RateLimit(NamedTuple):
    attempts: int
    seconds: int


def parse_rate_limits(text: str, known: set[str] | None = None) -> dict[str, RateLimit]:
    """``"login=10/300,vote=120/60"`` -> ``{"login": RateLimit(10, 300), ...}``.

    ``known``: the actions that exist; another name is refused (a typo would limit nothing).
    """
    limits = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        try:
            action, spec = part.split("=", 1)
            count, seconds = spec.split("/", 1)
            limit = RateLimit(int(count), int(seconds))
        except ValueError:
            raise ValueError(
                f"DAILYPAPERS_RATE_LIMITS: {part!r} is not action=count/seconds"
            ) from None
        if limit.attempts < 0 or limit.seconds < 1:
            raise ValueError(
                f"DAILYPAPERS_RATE_LIMITS: {part!r} needs a count of 0 or more (0: no limit) "
                "and a window of at least 1 second"
            )
        action = action.strip()
        if known is not None and action not in known:
            raise ValueError(
                f"DAILYPAPERS_RATE_LIMITS: there is no action {action!r}; "
                f"the actions are {', '.join(sorted(known))}"
            )
        limits[action] = limit
    return limits


DEFAULT_RATE_LIMITS = parse_rate_limits(
    "login=10/300,signup=5/3600,password_reset=5/3600,submit=20/3600,vote=120/60,comment=20/300,"
    "subscribe=5/3600,search=60/60"
)
# Attempts allowed per window, by action; a shared Redis cache makes them exact across workers.
# The variable overrides the actions it names: the others keep their defaults.
RATE_LIMITS = {
    **DEFAULT_RATE_LIMITS,
    **parse_rate_limits(env("RATE_LIMITS", ""), known=set(DEFAULT_RATE_LIMITS)),
}

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_trusted_proxies(text: str) -> tuple[IPNetwork, ...]:
    """``"127.0.0.1, 10.0.0.0/8, ::1"`` -> the networks (a bare address is a one-address network)."""
    networks = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        try:
            network = ipaddress.ip_network(part, strict=False)
        except ValueError:
            raise ValueError(
                f"DAILYPAPERS_TRUSTED_PROXIES: {part!r} is not an IP address or network "
                "(such as 127.0.0.1, 10.0.0.0/8 or ::1)"
            ) from None
        if network.prefixlen == 0:
            raise ValueError(
                f"DAILYPAPERS_TRUSTED_PROXIES: {part!r} trusts every address, so any client "
                "could name its own; list your proxies' addresses"
            )
        networks.append(network)
    return tuple(networks)


# Reverse proxies whose X-Forwarded-For is believed (dailypapers.ratelimit.client_ip). Empty: the
# header is ignored and the client is the connection's address, so nobody can pick their own.
TRUSTED_PROXIES = parse_trusted_proxies(env("TRUSTED_PROXIES", ""))


def huey_from_url(url: str, data_dir: Path, *, immediate: bool, workers: int) -> dict:
    """huey's Django settings: ``""`` (a SQLite file in the data dir), ``sqlite:///path`` or
    ``redis://host:6379/0``. Tasks run in ``dailypapers worker``; ``immediate`` runs them inline."""
    parsed = urlparse(url)
    common = {
        "name": "dailypapers",
        "immediate": immediate,
        "utc": True,
        "results": False,  # no task's return value is read: do not store them
        # flush_locks: a lock left by a killed process (a recompute) is dropped at worker start.
        "consumer": {
            "workers": workers,
            "worker_type": "thread",
            "periodic": True,
            "flush_locks": True,
        },
    }
    if not url or parsed.scheme == "sqlite":
        name = unquote(parsed.path)[1:] if url else ""
        path = data_dir / "huey.sqlite3" if not name else Path(name)
        if not path.is_absolute():
            path = Path.cwd() / path
        # timeout: seconds to wait for the file's write lock while several processes enqueue.
        return {**common, "huey_class": "huey.SqliteHuey", "filename": str(path), "timeout": 30}
    if parsed.scheme in {"redis", "rediss"}:
        return {**common, "huey_class": "huey.RedisHuey", "url": url}
    raise ValueError(
        f"DAILYPAPERS_HUEY_URL must be empty, sqlite:///path or redis://host:port/db, got {url!r}"
    )


HUEY_WORKERS = env_int("HUEY_WORKERS", 2)
if HUEY_WORKERS < 1:
    raise ValueError(f"DAILYPAPERS_HUEY_WORKERS must be at least 1, got {HUEY_WORKERS}")
HUEY = huey_from_url(
    env("HUEY_URL"),
    DATA_DIR,
    immediate=env_bool("HUEY_IMMEDIATE", False),
    workers=HUEY_WORKERS,
)

# Trending (docs/trending.md): a vote's weight halves every half-life; the worker recomputes every
# score every TRENDING_INTERVAL_MINUTES to take in imports and GitHub star growth.
TRENDING_HALF_LIFE_HOURS = env_float("TRENDING_HALF_LIFE_HOURS", 48.0)
if not TRENDING_HALF_LIFE_HOURS > 0:
    raise ValueError(
        f"DAILYPAPERS_TRENDING_HALF_LIFE_HOURS must be positive, got {TRENDING_HALF_LIFE_HOURS}"
    )
TRENDING_INTERVAL_MINUTES = env_int("TRENDING_INTERVAL_MINUTES", 10)
if not 1 <= TRENDING_INTERVAL_MINUTES <= 60:
    raise ValueError(
        "DAILYPAPERS_TRENDING_INTERVAL_MINUTES must be between 1 and 60, "
        f"got {TRENDING_INTERVAL_MINUTES}"
    )

# Email digests (docs/digests.md): double opt-in links expire after DIGEST_CONFIRM_HOURS; each digest
# holds DIGEST_TOP_PAPERS trending papers and up to DIGEST_PICKS personal picks; a subscriber whose
# address is refused DIGEST_MAX_BOUNCES times in a row is paused.
DIGEST_CONFIRM_HOURS = env_int("DIGEST_CONFIRM_HOURS", 48)
DIGEST_TOP_PAPERS = env_int("DIGEST_TOP_PAPERS", 5)
DIGEST_PICKS = env_int("DIGEST_PICKS", 5)
DIGEST_MAX_BOUNCES = env_int("DIGEST_MAX_BOUNCES", 3)
for _name, _value, _low in (
    ("DIGEST_CONFIRM_HOURS", DIGEST_CONFIRM_HOURS, 1),
    ("DIGEST_TOP_PAPERS", DIGEST_TOP_PAPERS, 0),
    ("DIGEST_PICKS", DIGEST_PICKS, 0),
    ("DIGEST_MAX_BOUNCES", DIGEST_MAX_BOUNCES, 1),
):
    if not _low <= _value <= 1000:
        raise ValueError(f"DAILYPAPERS_{_name} must be between {_low} and 1000, got {_value}")
# The mailto: half of List-Unsubscribe; by default the address digests come from.
DIGEST_UNSUBSCRIBE_MAILTO = env("DIGEST_UNSUBSCRIBE_MAILTO")
