"""Static vocabulary and behaviour profiles the generator samples from.

Numbers here are tuned to look plausible on dashboards (latency percentiles, failure
rates, cost spread), not measured from any real provider.
"""

from __future__ import annotations

from dataclasses import dataclass

TASK_TYPES: tuple[str, ...] = (
    "code_completion",
    "code_refactoring",
    "bug_fix",
    "test_generation",
    "documentation",
    "code_review",
    "other",
)
TASK_TYPE_WEIGHTS: tuple[float, ...] = (0.34, 0.10, 0.15, 0.10, 0.08, 0.13, 0.10)

STATUSES: tuple[str, ...] = ("completed", "failed", "timeout", "cancelled")
COMPLEXITIES: tuple[str, ...] = ("simple", "moderate", "complex")
ROUTING_REASONS: tuple[str, ...] = (
    "lowest_cost",
    "best_quality",
    "fastest_response",
    "provider_preference",
    "load_balancing",
    "fallback",
)
ROUTING_STRATEGIES: tuple[str, ...] = ("lowest_cost", "best_quality", "fastest", "balanced")
ROUTING_STRATEGY_WEIGHTS: tuple[float, ...] = (0.55, 0.12, 0.08, 0.25)
EVENT_TYPES: tuple[str, ...] = ("api_call", "dashboard_view", "task_created", "login")
PLANS: tuple[str, ...] = ("free", "pro", "enterprise")

# Per task type: complexity mix (simple, moderate, complex) and median input/output tokens.
COMPLEXITY_MIX: dict[str, tuple[float, float, float]] = {
    "code_completion": (0.70, 0.25, 0.05),
    "code_refactoring": (0.20, 0.50, 0.30),
    "bug_fix": (0.30, 0.45, 0.25),
    "test_generation": (0.35, 0.45, 0.20),
    "documentation": (0.55, 0.35, 0.10),
    "code_review": (0.30, 0.50, 0.20),
    "other": (0.50, 0.35, 0.15),
}
TOKEN_MEDIANS: dict[str, tuple[int, int]] = {
    "code_completion": (1_800, 80),
    "code_refactoring": (9_000, 1_100),
    "bug_fix": (7_000, 600),
    "test_generation": (5_000, 1_400),
    "documentation": (4_000, 800),
    "code_review": (12_000, 500),
    "other": (3_000, 400),
}
COMPLEXITY_TOKEN_FACTOR: dict[str, float] = {"simple": 0.5, "moderate": 1.0, "complex": 2.6}
COMPLEXITY_OUTPUT_FACTOR: dict[str, float] = {"simple": 0.6, "moderate": 1.0, "complex": 1.8}
# Minimum model quality the router accepts before it optimises for cost.
COMPLEXITY_QUALITY_FLOOR: dict[str, float] = {"simple": 0.0, "moderate": 80.0, "complex": 85.0}
COMPLEXITY_LATENCY_FACTOR: dict[str, float] = {"simple": 0.8, "moderate": 1.0, "complex": 1.6}
# Which model size the router asks each provider for, by task complexity.
COMPLEXITY_SIZE: dict[str, str] = {"simple": "small", "moderate": "mid", "complex": "large"}

LANGUAGES: tuple[str, ...] = (
    "python",
    "typescript",
    "javascript",
    "go",
    "java",
    "rust",
    "csharp",
    "kotlin",
    "ruby",
    "php",
    "cpp",
    "swift",
    "sql",
)
LANGUAGE_WEIGHTS: tuple[float, ...] = (
    0.26,
    0.22,
    0.10,
    0.09,
    0.09,
    0.05,
    0.05,
    0.03,
    0.03,
    0.03,
    0.02,
    0.01,
    0.02,
)

EDITORS: tuple[str, ...] = ("vscode", "jetbrains", "cursor", "neovim", "cli", "ci")
EDITOR_WEIGHTS: tuple[float, ...] = (0.45, 0.20, 0.10, 0.05, 0.10, 0.10)
CLIENT_VERSIONS: tuple[str, ...] = ("1.12.4", "1.13.0", "1.13.2", "1.14.1", "2.0.0-beta.3")

# Offsets (minutes) for tenants' home time zones; business hours follow local time.
TENANT_UTC_OFFSETS: tuple[int, ...] = (0, 60, 120, -300, -240, -420, 330, 540, 480, 600, -180)

# Relative task volume per local hour of day (0..23): a working-day hump with a lunch dip.
HOUR_WEIGHTS: tuple[float, ...] = (
    0.6,
    0.4,
    0.3,
    0.3,
    0.3,
    0.5,
    1.0,
    2.5,
    5.0,
    8.0,
    9.0,
    8.5,
    6.0,
    7.5,
    9.0,
    8.5,
    7.5,
    5.5,
    3.5,
    2.5,
    2.0,
    1.6,
    1.2,
    0.9,
)
WEEKDAY_FACTOR: tuple[float, ...] = (1.0, 1.05, 1.05, 1.0, 0.9, 0.32, 0.25)


@dataclass(frozen=True)
class ProviderProfile:
    """How one provider behaves: latency shape, reliability and typical errors."""

    key: str
    ttft_ms: float  # median time to first token
    tokens_per_s: float
    sigma: float  # log-normal spread; larger means a heavier tail
    fail_rate: float
    timeout_rate: float
    errors: tuple[str, ...]


PROVIDERS: dict[str, ProviderProfile] = {
    "openai": ProviderProfile(
        "openai",
        650.0,
        110.0,
        0.45,
        0.012,
        0.002,
        (
            "rate limit exceeded (429)",
            "internal server error (500)",
            "context length exceeded",
            "service unavailable (503)",
        ),
    ),
    "anthropic": ProviderProfile(
        "anthropic",
        900.0,
        80.0,
        0.50,
        0.016,
        0.003,
        (
            "overloaded_error: Overloaded (529)",
            "rate limit exceeded (429)",
            "context length exceeded",
            "internal server error (500)",
        ),
    ),
    "google": ProviderProfile(
        "google",
        500.0,
        180.0,
        0.55,
        0.010,
        0.002,
        (
            "RESOURCE_EXHAUSTED: quota exceeded (429)",
            "internal server error (500)",
            "response blocked by safety filter",
            "context length exceeded",
        ),
    ),
    "deepseek": ProviderProfile(
        "deepseek",
        1_400.0,
        45.0,
        0.65,
        0.030,
        0.010,
        (
            "service unavailable (503)",
            "rate limit exceeded (429)",
            "connection reset by peer",
            "context length exceeded",
        ),
    ),
    "github_copilot": ProviderProfile(
        "github_copilot",
        800.0,
        90.0,
        0.50,
        0.009,
        0.002,
        (
            "premium request quota exhausted (402)",
            "rate limit exceeded (429)",
            "bad gateway (502)",
        ),
    ),
}

# Preferred default providers for tenants (the provider they used before the router).
DEFAULT_PROVIDER_WEIGHTS: dict[str, float] = {
    "openai": 0.35,
    "anthropic": 0.25,
    "github_copilot": 0.20,
    "google": 0.15,
    "deepseek": 0.05,
}


@dataclass(frozen=True)
class ModelProfile:
    """Routing-relevant traits of one model: its size class, quality and relative speed."""

    provider: str
    model: str
    size: str  # small | mid | large | agent
    quality: float  # typical quality score 0..100
    speed: float  # multiplier on the provider's tokens/s


MODELS: tuple[ModelProfile, ...] = (
    ModelProfile("openai", "gpt-5-mini", "small", 74.0, 1.3),
    ModelProfile("openai", "gpt-5.3-codex", "mid", 86.0, 1.0),
    ModelProfile("openai", "gpt-5.4", "large", 90.0, 0.8),
    ModelProfile("openai", "o3", "large", 87.0, 0.7),
    ModelProfile("anthropic", "claude-haiku-4-5", "small", 76.0, 1.4),
    ModelProfile("anthropic", "claude-sonnet-4-5", "mid", 88.0, 1.0),
    ModelProfile("anthropic", "claude-sonnet-5", "mid", 91.0, 1.0),
    ModelProfile("anthropic", "claude-opus-4-7", "large", 94.0, 0.7),
    ModelProfile("google", "gemini-2.5-flash", "small", 72.0, 1.3),
    ModelProfile("google", "gemini-3.5-flash", "mid", 84.0, 1.2),
    ModelProfile("google", "gemini-2.5-pro", "large", 83.0, 0.8),
    ModelProfile("google", "gemini-3.1-pro-preview", "large", 89.0, 0.8),
    ModelProfile("deepseek", "deepseek-chat", "small", 75.0, 1.0),
    ModelProfile("deepseek", "deepseek-reasoner", "large", 82.0, 0.7),
    ModelProfile("github_copilot", "claude-haiku-4.5", "small", 76.0, 1.3),
    ModelProfile("github_copilot", "claude-sonnet-4.5", "mid", 88.0, 1.0),
    ModelProfile("github_copilot", "claude-opus-4.5", "large", 92.0, 0.7),
    ModelProfile("github_copilot", "copilot-coding-agent", "agent", 85.0, 1.0),
)

# Candidates for the in-window price cut, most preferred first; the first one priced for
# the whole window is used (older windows fall back to older models).
PRICE_CUT_CANDIDATES: tuple[tuple[str, str], ...] = (
    ("google", "gemini-3.5-flash"),
    ("google", "gemini-2.5-flash"),
    ("deepseek", "deepseek-chat"),
    ("openai", "gpt-5-mini"),
)

PRIVACY_BAIT_METADATA: tuple[dict[str, str], ...] = (
    {
        "file_path": "/home/dev/secret-project/src/main.py",
        "prompt": "def foo(): ...",
        "author_email": "jane.doe@example.com",
    },
    {
        "file_path": "C:\\Users\\mlopez\\repos\\payroll\\calc.ts",
        "prompt": "// refactor the salary rounding helper",
        "author_email": "m.lopez@example.org",
    },
    {"file_path": "/Users/jane/project/app.py", "prompt": "fix the failing login test"},
)
PRIVACY_BAIT_ERRORS: tuple[str, ...] = (
    "failed to read /Users/jane/project/app.py: permission denied",
    "authentication failed for key sk-live-abc123def456ghi789jkl012 (401)",
    "upstream 400 for /home/dev/secret-project/src/main.py: context length exceeded",
    "invalid x-api-key sk-ant-api03-Xy7Qm2LpN8vR4tZk (401) for jane.doe@example.com",
)
