"""Default settings. Every value can be overridden by an ``LTI_TOOL_<NAME>`` environment variable.

Values here suit the embedded default (SQLite, in-process jobs, the demo LMS). Production sets at
least ``LTI_TOOL_DATABASE_URL``, ``LTI_TOOL_REDIS_URL``, ``LTI_TOOL_BASE_URL`` and
``LTI_TOOL_SECRET_KEY``.
"""

# Where Ritmo is reachable from the browser and the LMS (no trailing slash).
BASE_URL = "http://127.0.0.1:5000"

# ``None`` means a SQLite file under the instance folder.
DATABASE_URL: str | None = None

# A pooled database connection idle this long is pinged before use (and replaced if dead); busier
# ones are used as they are. 0 pings on every checkout.
DATABASE_PING_AFTER_IDLE_SECONDS = 5.0

# ``None`` keeps spent login states, launch memos and caches in the database.
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

# Origins allowed to frame Ritmo besides the registered platforms' issuer and login hosts (always
# allowed): where an LMS serves its course pages from another host, e.g. Canvas schools,
# ["https://*.instructure.com"] or ["https://canvas.school.edu"]. Origins only (no path).
FRAME_ANCESTORS_EXTRA: list[str] = []

# How long a launch is remembered: a relaunch with the same claims within this time reuses what the
# last one wrote (the rows are not read or rewritten; ``last_seen_at`` still follows every 5 minutes).
LAUNCH_MEMO_SECONDS = 86400

# How long the count of items on a programme's attention list (the badge on the coordinators'
# home) is kept before the sources are asked again; the list page and acting on an item refresh it.
ATTENTION_COUNT_SECONDS = 60

# How long a rotated tool key stays published after it stopped signing.
KEY_ROTATION_GRACE_DAYS = 7

# Outbound HTTP timeouts toward platforms (connect, read).
HTTP_TIMEOUT_SECONDS = (3.05, 10.0)

# Longest time one outbound answer may take to arrive whole, and its largest size.
HTTP_DEADLINE_SECONDS = 30.0
HTTP_MAX_RESPONSE_BYTES = 5_000_000

# Let outbound calls use http and loopback/private addresses (demos and tests on 127.0.0.1 only:
# with it on, a registration or a launch claim can make Ritmo call internal services).
ALLOW_PRIVATE_URLS = False

# "inline" runs background jobs in a thread of this process; "celery" hands them to workers.
JOBS_BACKEND = "inline"

# Poll interval of the in-process runner.
JOBS_POLL_SECONDS = 0.5

# Celery broker; ``None`` uses REDIS_URL.
CELERY_BROKER_URL: str | None = None

# Languages with a catalogue; the launch's ``locale`` claim picks one.
LANGUAGES = ["en", "it"]
BABEL_DEFAULT_LOCALE = "en"

# A dynamic registration stays pending until an admin approves it ('lti-tool platform approve ID'),
# unless it came through an invitation link ('lti-tool platform invite'). Off: any site that speaks
# dynamic registration becomes an active platform at once.
REGISTRATION_REQUIRES_APPROVAL = True

# How long a registration link made by 'lti-tool platform invite' stays usable.
REGISTRATION_INVITE_HOURS = 72

# E-mail (jobs send over SMTP).
SMTP_HOST = "127.0.0.1"
SMTP_PORT = 25
SMTP_USERNAME: str | None = None
SMTP_PASSWORD: str | None = None
SMTP_STARTTLS = False
MAIL_FROM = "Ritmo <no-reply@ritmo.invalid>"

# Replies by e-mail (``lti_tool.inbound``): thread and chat e-mails carry a signed
# ``Reply-To: reply+<token>@INBOUND_MAIL_DOMAIN``, and Ritmo's worker receives replies over SMTP on
# INBOUND_SMTP_HOST:INBOUND_SMTP_PORT (point the domain's MX, or a relay, there). Unset: no Reply-To
# and no receiver.
INBOUND_MAIL_DOMAIN: str | None = None
INBOUND_SMTP_HOST = "127.0.0.1"
INBOUND_SMTP_PORT = 2525
# Largest reply accepted (bytes; larger ones are refused during the SMTP conversation).
INBOUND_MAIL_MAX_BYTES = 2_000_000
# How long a reply address keeps working after the e-mail that carried it.
INBOUND_REPLY_DAYS = 30

# Stop the server when the database is behind the migrations.
REQUIRE_MIGRATED_DATABASE = True

# Trusted reverse proxies in front of Ritmo (``X-Forwarded-*`` hops to believe); 0 trusts none.
PROXY_FIX = 0

# Extra Celery settings merged over Ritmo's own (JSON object in the environment).
CELERY_CONFIG: dict[str, object] = {}

# -- the LMS side (launch, registration, deep linking) ---------------------------------------------

# Name and description the LMS shows for Ritmo (dynamic registration, Canvas configuration JSON).
TOOL_NAME = "Ritmo"
TOOL_DESCRIPTION = (
    "E-mentoring inside the course: matching mentors and mentees, goals and milestones, "
    "conversations, meetings and webinars."
)

# Canvas ``privacy_level``: "public" shares name and e-mail (what mentoring needs); "anonymous" only sub.
CANVAS_PRIVACY_LEVEL = "public"

# Issuers allowed to register dynamically (comma-separated URLs, compared by origin and whole path
# segments); the platform's endpoints must then also lie under one of them or under the issuer.
# Empty allows any.
REGISTRATION_ALLOWED_ISSUERS: list[str] = []

# Let the LMS's *system* administrators (``system/person#Administrator``, Canvas ``#SysAdmin``)
# coordinate every course's programme they launch. Off: only roles in the course itself
# (LTI_COORDINATOR_ROLES below) coordinate; institution and system roles never do. Turn on
# deliberately, knowing who your LMS's site admins are.
LTI_SYSTEM_ADMIN_COORDINATES = False

# The course roles (LIS context roles, by name) that make a person a coordinator. Add
# "TeachingAssistant" to let teaching assistants coordinate (Canvas TAs; Open edX's forum
# moderators, who arrive as Learner + membership/Instructor#TeachingAssistant), "ContentDeveloper"
# for course designers. Environment: LTI_TOOL_LTI_COORDINATOR_ROLES=Instructor,Administrator,...
LTI_COORDINATOR_ROLES: list[str] = ["Instructor", "Administrator"]

# How long the deep-linking content picker stays usable after the LMS opened it.
DEEP_LINKING_TTL_SECONDS = 3600

# -- rate limits (requests per minute; per client address, or per person where signed in) -------

# Off only for load tests: limits are shared by every server process through Redis.
RATELIMIT_ENABLED = True
RATELIMIT_LOGIN = 600
RATELIMIT_LAUNCH = 600
RATELIMIT_REGISTER = 20
# Threads, posts, replies and meeting changes, per person.
RATELIMIT_POSTING = 10
# Chat messages, per person.
RATELIMIT_CHAT = 30

# Copies of their own data a person may download per minute (GET /api/me/export).
RATELIMIT_EXPORT = 5
# Every write (POST, PUT, PATCH, DELETE) of a signed-in person, whatever it is.
RATELIMIT_WRITES = 120
# Writes that make Ritmo send e-mail to others (match requests and their answers, meeting
# invitations), per person.
RATELIMIT_MAIL = 5
# File uploads (training content, roster and attendance imports), per person.
RATELIMIT_UPLOADS = 10
# Calls made with one API key (``lti-tool apikey``), whatever they are.
RATELIMIT_API_KEY = 300
# How long each call made with an API key stays on record (``lti-tool apikey show``).
API_KEY_USE_RETENTION_DAYS = 90

# -- request limits (bytes) --------------------------------------------------------------------------

# Largest JSON body and largest form (without a file) accepted; larger ones get 413 before they are read.
REQUEST_MAX_JSON_BYTES = 1024 * 1024
REQUEST_MAX_FORM_BYTES = 1024 * 1024
# How much of an upload form is read, before its file, to find the ``ritmo_session`` field when the
# request has no ``Authorization`` header (the sender must be known before a file is read).
REQUEST_MAX_UNAUTHENTICATED_BYTES = 64 * 1024

# One-time codes a person's pages may ask for per minute (one per link followed).
RATELIMIT_HANDOFF = 300

# -- conversations, content, webinars, notifications ------------------------------------------------

# How often a waiting chat poll looks for news, and the longest it waits before answering "nothing new".
CHAT_CHECK_INTERVAL_SECONDS = 1.0
CHAT_MAX_WAIT_SECONDS = 25.0

# Largest training-content upload accepted, in bytes (25 MiB).
CONTENT_UPLOAD_MAX_BYTES = 25 * 1024 * 1024

# Where generated Jitsi Meet rooms live (webinars and meetings); a self-hosted Jitsi's address also
# becomes an accepted host for pasted links.
WEBINAR_JITSI_BASE_URL = "https://meet.jit.si"

# Host names of your BigBlueButton servers (comma-separated); join addresses elsewhere are refused.
WEBINAR_BBB_HOSTS: list[str] = []

# A BigBlueButton server for meetings' generated rooms (instead of Jitsi): its API base address
# (e.g. ``https://bbb.example.org/bigbluebutton/``) and shared secret (``bbb-conf --secret``).
BBB_URL = ""
BBB_SECRET = ""

# Hour (UTC) at which the daily e-mail digest goes out.
NOTIFICATIONS_DIGEST_HOUR_UTC = 7

# -- grade delivery (AGS) ----------------------------------------------------------------------------

# How often the safety-net sweep looks for scores that are due (new, retrying, or left by a dead worker).
GRADES_SWEEP_SECONDS = 10.0
# Scores claimed per round and parallel requests per platform.
GRADES_BATCH_SIZE = 200
GRADES_DELIVERY_THREADS = 8
# A claim holds for LEASE seconds and the living worker renews it every RENEW seconds (a heartbeat,
# grades/leases.py): a dead worker's scores are claimable again within LEASE, a slow one keeps its own.
GRADES_LEASE_SECONDS = 20
GRADES_LEASE_RENEW_SECONDS = 5.0
# Retries back off exponentially from the base up to the cap; after MAX_ATTEMPTS (about a day of
# retries at the cap) a score waits for a person to look at it.
GRADES_BACKOFF_BASE_SECONDS = 2.0
GRADES_BACKOFF_CAP_SECONDS = 900.0
GRADES_MAX_ATTEMPTS = 100
# A delivery job hands over after this long, so one platform cannot hold a worker forever.
GRADES_JOB_TIME_BUDGET_SECONDS = 60.0
