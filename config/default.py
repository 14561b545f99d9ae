"""Default settings. Every value can be overridden by an ``LTI_TOOL_<NAME>`` environment variable.

Values here suit the embedded default (SQLite, in-process jobs, the demo LMS). Production sets at
least ``LTI_TOOL_DATABASE_URL``, ``LTI_TOOL_REDIS_URL``, ``LTI_TOOL_BASE_URL`` and
``LTI_TOOL_SECRET_KEY``.
"""

# Where Ritmo is reachable from the browser and the LMS (no trailing slash).
BASE_URL = "http://127.0.0.1:5000"

# ``None`` means a SQLite file under the instance folder.
DATABASE_URL: str | None = None

# ``None`` keeps launch state, nonces and caches in the database.
REDIS_URL: str | None = None

# ``None`` generates a random key under the instance folder on first start.
SECRET_KEY: str | None = None

# Directory for tool keys and uploads; ``None`` means the instance folder.
DATA_DIR: str | None = None

# Seconds of clock skew accepted on id_token ``iat``/``exp`` (platform clocks drift).
JWT_LEEWAY_SECONDS = 60

# How long an OIDC login may take before its state expires.
LOGIN_STATE_TTL_SECONDS = 600

# Lifetime of the in-frame session token handed to the page after a launch.
SESSION_TOKEN_TTL_SECONDS = 3600

# How long a platform's JWKS is trusted before it is fetched again.
PLATFORM_JWKS_TTL_SECONDS = 3600

# Minimum seconds between two refetches of a platform's JWKS triggered by an unknown kid.
PLATFORM_JWKS_REFETCH_SECONDS = 10

# How long a server process reuses a platform registration it read (changes made through another
# process, such as ``lti-tool platform remove``, reach running servers within this many seconds).
REGISTRY_CACHE_SECONDS = 5

# How long a rotated tool key stays published after it stopped signing.
KEY_ROTATION_GRACE_DAYS = 7

# Outbound HTTP timeouts toward platforms (connect, read).
HTTP_TIMEOUT_SECONDS = (3.05, 10.0)

# "inline" runs background jobs in a thread of this process; "celery" hands them to workers.
JOBS_BACKEND = "inline"

# Poll interval of the in-process runner.
JOBS_POLL_SECONDS = 0.5

# Celery broker; ``None`` uses REDIS_URL.
CELERY_BROKER_URL: str | None = None

# Languages with a catalogue; the launch's ``locale`` claim picks one.
LANGUAGES = ["en", "it"]
BABEL_DEFAULT_LOCALE = "en"

# Reject launches from a new dynamic registration until an admin approves it.
REGISTRATION_REQUIRES_APPROVAL = False

# E-mail (jobs send over SMTP).
SMTP_HOST = "127.0.0.1"
SMTP_PORT = 25
SMTP_USERNAME: str | None = None
SMTP_PASSWORD: str | None = None
SMTP_STARTTLS = False
MAIL_FROM = "Ritmo <no-reply@ritmo.invalid>"

# Stop the server when the database is behind the migrations.
REQUIRE_MIGRATED_DATABASE = True
