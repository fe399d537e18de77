"""Every setting in one place, read from the environment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar

ROOT = Path(__file__).resolve().parent.parent


class Config:
    # DATABASE_URL: any SQLAlchemy URL; PostgreSQL in production
    # (postgresql+psycopg://user@host/db; a plain postgresql:// URL is taken as psycopg 3).
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{ROOT / 'instance' / 'credit.sqlite3'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict] = {}
    # A pooled connection idle for longer than this is checked (SELECT 1) before a request
    # uses it; one in use a moment ago is not (app/db_ping.py).
    DB_PING_IDLE_SECONDS = float(os.environ.get("DB_PING_IDLE_SECONDS", "10"))
    # The public home page's totals are counted again after this long (queries/public_totals.py).
    PUBLIC_TOTALS_SECONDS = float(os.environ.get("PUBLIC_TOTALS_SECONDS", "300"))
    # SECRET_KEY signs sessions and CSRF tokens. Outside CREDIT_ENV=development/demo (and the
    # tests) the app refuses to start without a random one of 32+ characters (app/security.py).
    SECRET_KEY = os.environ.get("SECRET_KEY")
    ENVIRONMENT = os.environ.get("CREDIT_ENV")  # production when unset
    # TRUSTED_PROXIES: how many reverse proxies stand in front of the app; the client address
    # (sign-in throttling) is then read from X-Forwarded-For. 0: the socket's address.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    # Session cookies: HttpOnly, SameSite=Lax, and Secure (sent over HTTPS only) unless
    # SECURE_COOKIES=0, which the local demo on plain http://127.0.0.1 sets.
    SESSION_COOKIE_SECURE = os.environ.get("SECURE_COOKIES", "1") != "0"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 8 * 3600  # one working day
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    # The UI speaks Simplified Chinese first; English is one click away.
    LANGUAGES = ("zh", "en")
    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "app" / "translations")
    # CLOCK_TODAY=YYYY-MM-DD freezes "today" for demos and tests (the one injectable clock).
    # IMPORT_TOKENS="name:token,…": who may POST /api/v1/imports.
    IMPORT_TOKENS = os.environ.get("IMPORT_TOKENS", "")
    # R-SCOPE: the scope catalogue of Art. 2; unset = data/scope/excluded_products.yaml.
    SCOPE_CATALOGUE = os.environ.get("SCOPE_CATALOGUE") or None
    CLOCK_TODAY = os.environ.get("CLOCK_TODAY")
    # WORKFLOWS_DIR: the folder of the process definitions (*.bpmn); unset = workflows/.
    WORKFLOWS_DIR = os.environ.get("WORKFLOWS_DIR") or None
    # Classification runs every half year on these month-day pairs (R-HALFYEAR).
    CLASSIFICATION_DAYS = os.environ.get("CLASSIFICATION_DAYS", "01-01,07-01")
    # Worker processes of a classification run on PostgreSQL (0: one per core; 1: none).
    CLASSIFICATION_WORKERS = int(os.environ.get("CLASSIFICATION_WORKERS", "0"))
    # Measures by class (rules §10; local settings, the Spec sets no periods): the working days
    # a rectification order gives the enterprise to rectify and report, and the working days
    # the responsible bureau has to verify a report (paused while the enterprise reworks).
    RECTIFICATION_REPORT_WORKING_DAYS = int(
        os.environ.get("RECTIFICATION_REPORT_WORKING_DAYS", "20")
    )
    RECTIFICATION_WORKING_DAYS = int(os.environ.get("RECTIFICATION_WORKING_DAYS", "20"))
    # Notice and rectification cases a scheduler pass starts at most (the rest wait for the next
    # passes, so deadlines keep firing after a bulk import or a province run).
    NOTICES_PER_PASS = int(os.environ.get("NOTICES_PER_PASS", "2000"))
    # The admin pages warn when no scheduler worker has passed for this long.
    SCHEDULER_STALE_MINUTES = int(os.environ.get("SCHEDULER_STALE_MINUTES", "10"))
    # GET /metrics answers these addresses or networks (comma-separated; default loopback) and
    # callers sending Authorization: Bearer $METRICS_TOKEN. /healthz is public.
    METRICS_ALLOW = os.environ.get("METRICS_ALLOW", "127.0.0.0/8,::1")
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN") or None
    RECTIFICATIONS_PER_PASS = int(os.environ.get("RECTIFICATIONS_PER_PASS", "1000"))
    # Inspection plans: the share of A-class objects drawn at random (双随机), and the weight of
    # an object whose last two or more inspections were clean (Art. 27(1): lowered coefficient).
    INSPECTION_RANDOM_RATIO = os.environ.get("INSPECTION_RANDOM_RATIO", "0.05")
    INSPECTION_CLEAN_WEIGHT = os.environ.get("INSPECTION_CLEAN_WEIGHT", "0.5")

    # Evidence files (证据材料) on applications and supplements: the store (folder, or s3 for
    # S3-compatible object storage through boto3), its place, and the limits of each upload.
    ATTACHMENTS_STORE = os.environ.get("ATTACHMENTS_STORE", "folder")
    ATTACHMENTS_DIR = os.environ.get("ATTACHMENTS_DIR", str(ROOT / "instance" / "attachments"))
    # Progress of the classification runs the worker does, read by the admin page's bar: a
    # folder the worker and the web app share.
    PROGRESS_DIR = os.environ.get("PROGRESS_DIR", str(ROOT / "instance" / "progress"))
    ATTACHMENTS_S3_BUCKET = os.environ.get("ATTACHMENTS_S3_BUCKET", "")
    ATTACHMENTS_S3_ENDPOINT = os.environ.get("ATTACHMENTS_S3_ENDPOINT") or None
    ATTACHMENTS_S3_PREFIX = os.environ.get("ATTACHMENTS_S3_PREFIX", "")
    ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
    ATTACHMENTS_PER_UPLOAD = int(os.environ.get("ATTACHMENTS_PER_UPLOAD", "5"))
    ATTACHMENTS_PER_CASE = int(os.environ.get("ATTACHMENTS_PER_CASE", "20"))

    # Notices by e-mail (R-CHANNEL, Art. 23): off unless SMTP_HOST is set. SMTP_TLS: none,
    # starttls or ssl. See app/notify/email.py.
    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "25"))
    SMTP_TLS = os.environ.get("SMTP_TLS", "none")
    SMTP_SENDER = os.environ.get("SMTP_SENDER", "")
    SMTP_USERNAME = os.environ.get("SMTP_USERNAME", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    SMTP_TIMEOUT = float(os.environ.get("SMTP_TIMEOUT", "10"))
    # Notices by SMS through an HTTP gateway: off unless SMS_GATEWAY_URL is set; a template id
    # per kind of notice, "deduction_notice:TPL_1". See app/notify/sms.py.
    SMS_GATEWAY_URL = os.environ.get("SMS_GATEWAY_URL", "")
    SMS_GATEWAY_TOKEN = os.environ.get("SMS_GATEWAY_TOKEN", "")
    SMS_TEMPLATES = os.environ.get("SMS_TEMPLATES", "")
    SMS_GATEWAY_TIMEOUT = float(os.environ.get("SMS_GATEWAY_TIMEOUT", "10"))

    API_TITLE = "Guangdong product quality credit API (广东省产品质量信用)"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api"
    OPENAPI_JSON_PATH = "openapi.json"
    JSON_AS_ASCII = False


def normalise_database_url(url: str) -> str:
    """Let operators write postgresql:// and still get the psycopg 3 driver we ship."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
