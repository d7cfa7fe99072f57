"""Where ``dsr`` finds its configuration, and the one place the access token is handled.

Configuration comes from the environment through pydantic-settings, and a command-line option
beats the environment:

| setting         | environment              | option                   | default           |
|-----------------|--------------------------|--------------------------|-------------------|
| access token    | ``INTERCOM_ACCESS_TOKEN`` | ``--token-file FILE``    | none: exit 2      |
| region          | ``INTERCOM_REGION``      | ``--region us|eu|au``    | ``us``            |
| API host        | ``INTERCOM_BASE_URL``    | ``--base-url URL``       | the region's host |
| API version     | ``INTERCOM_API_VERSION`` | ``--api-version V``      | ``2.14``          |
| request timeout | ``INTERCOM_TIMEOUT``     |                          | 10 seconds        |
| tries per call  | ``DSR_RETRY_ATTEMPTS``   |                          | 4                 |
| first backoff   | ``DSR_RETRY_BACKOFF``    |                          | 0.5 seconds       |
| longest pause   | ``DSR_RETRY_MAX_WAIT``   |                          | 60 seconds        |

There is deliberately no ``--token`` option: a token on a command line lands in shell history
and in every process listing. The token lives in a ``SecretStr`` from the moment it is read
until it is handed to the resolver, so no ``repr``, log line or validation error can show it.
A region or a base URL given as an option replaces both environment values, so that
``--base-url`` works in a shell where ``INTERCOM_REGION`` is set.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from dsr_resolvers.bulk import RetryPolicy
from dsr_resolvers.cli._errors import CliError
from dsr_resolvers.cli._trace import HookChain, RequestTrace
from dsr_resolvers.contract import PiiCategory
from dsr_resolvers.intercom import REGIONS, ErasurePolicy, IntercomResolver, RequestHooks
from dsr_resolvers.report import ProcessingRecord

__all__ = ["Connection", "IntercomSettings", "RetrySettings", "load_connection"]

Region = Literal["us", "eu", "au"]
_S = TypeVar("_S", bound=BaseSettings)


class IntercomSettings(BaseSettings):
    """The ``INTERCOM_*`` environment: how to reach the workspace."""

    model_config = SettingsConfigDict(env_prefix="INTERCOM_", extra="ignore", frozen=True)

    access_token: SecretStr | None = None
    region: Region | None = None
    base_url: str | None = None
    api_version: str = Field(default="2.14", min_length=1)
    timeout: float = Field(default=10.0, gt=0)


class RetrySettings(BaseSettings):
    """The ``DSR_RETRY_*`` environment: how single-subject commands retry."""

    model_config = SettingsConfigDict(env_prefix="DSR_RETRY_", extra="ignore", frozen=True)

    attempts: int = Field(default=4, ge=1, le=20)
    backoff: float = Field(default=0.5, ge=0)
    max_wait: float = Field(default=60.0, ge=0)

    def policy(self) -> RetryPolicy:
        """These settings as a :class:`RetryPolicy`."""
        return RetryPolicy(
            max_attempts=self.attempts, backoff_initial=self.backoff, backoff_max=self.max_wait
        )


@dataclass(frozen=True)
class Connection:
    """A workspace to talk to: host, token and retry policy, ready to build resolvers.

    Attributes:
        base_url: The API host requests go to.
        token: The access token; only :meth:`resolver` unwraps it.
        api_version: The ``Intercom-Version`` header.
        timeout: Seconds allowed per request.
        retry: How single-subject commands retry transient failures.
        trace: Hooks for every resolver built here (``-v`` lines, the spinner); hooks given
            to :meth:`resolver` (a bulk run's rate limiter) run first, then these.
        name: The workspace's name in the workspaces file (``--workspace``), which its
            resolvers carry; ``None`` for the one workspace of the connection options.
    """

    base_url: str
    token: SecretStr
    api_version: str = "2.14"
    timeout: float = 10.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    trace: RequestTrace | None = None
    name: str | None = None

    def resolver(
        self,
        *,
        erasure_policy: ErasurePolicy = "delete_contact",
        export_messages: bool = False,
        export_archived: bool = False,
        custom_attributes: Mapping[str, PiiCategory] | None = None,
        hooks: RequestHooks | None = None,
        processing: ProcessingRecord | None = None,
    ) -> IntercomResolver:
        """An :class:`IntercomResolver` for this workspace with the given options.

        Raises:
            CliError: The resolver refused the configuration (exit 2).
        """
        try:
            return IntercomResolver(
                self.token.get_secret_value(),
                base_url=self.base_url,
                api_version=self.api_version,
                timeout=self.timeout,
                erasure_policy=erasure_policy,
                export_messages=export_messages,
                export_archived=export_archived,
                custom_attributes=custom_attributes,
                hooks=_hooks(hooks, self.trace),
                processing=processing,
                name=self.name or "intercom",  # the resolver's own default
            )
        except ValueError as error:
            # The resolver's messages name the problem, never the token.
            raise CliError(f"invalid configuration: {error}") from error


def load_connection(
    *,
    token_file: Path | None = None,
    region: str | None = None,
    base_url: str | None = None,
    api_version: str | None = None,
    trace: RequestTrace | None = None,
) -> Connection:
    """Combine the options with the environment into a :class:`Connection`.

    Args:
        token_file: A file holding the access token (wins over ``INTERCOM_ACCESS_TOKEN``).
        region: ``us``, ``eu`` or ``au``, from ``--region``.
        base_url: The API host, from ``--base-url``.
        api_version: The ``Intercom-Version`` header, from ``--api-version``.
        trace: The hooks every resolver of the command gets (see :class:`RequestTrace`).

    Returns:
        The connection.

    Raises:
        CliError: No token, an unreadable or empty token file, both a region and a base URL,
            a base URL that is not http(s), plain http to a host that is not loopback, or an
            environment value that does not validate. Always exit 2.
    """
    overrides: dict[str, Any] = {}
    if region is not None or base_url is not None:
        overrides = {"region": region, "base_url": base_url}
    if api_version is not None:
        overrides["api_version"] = api_version
    settings = _validated(IntercomSettings, overrides)
    retry = _validated(RetrySettings, {})
    if token_file is not None:
        token = _read_token_file(token_file)
    elif settings.access_token is not None and settings.access_token.get_secret_value().strip():
        # A trailing newline from `export INTERCOM_ACCESS_TOKEN=$(cat file)` is not part of it.
        token = SecretStr(settings.access_token.get_secret_value().strip())
    else:
        raise CliError(
            "no Intercom access token: set INTERCOM_ACCESS_TOKEN or pass --token-file FILE"
        )
    if settings.region is not None and settings.base_url is not None:
        raise CliError(
            "both a region and a base URL are set; give one of --region and --base-url "
            "(or of INTERCOM_REGION and INTERCOM_BASE_URL)"
        )
    connection = Connection(
        base_url=REGIONS[settings.region or "us"]
        if settings.base_url is None
        else settings.base_url.strip(),
        token=token,
        api_version=settings.api_version,
        timeout=settings.timeout,
        retry=retry.policy(),
        trace=trace,
    )
    # The resolver validates the base URL (https, or http to loopback): one rule, kept there.
    return replace(connection, base_url=connection.resolver().base_url)


def _hooks(given: RequestHooks | None, trace: RequestTrace | None) -> RequestHooks | None:
    if given is None or trace is None:
        return given if given is not None else trace
    return HookChain(given, trace)


_ENV_NAMES = {
    IntercomSettings: "INTERCOM_",
    RetrySettings: "DSR_RETRY_",
}


def _validated(kind: type[_S], overrides: Mapping[str, Any]) -> _S:
    try:
        return kind(**overrides)
    except ValidationError as error:
        raise CliError(_settings_problem(kind, error)) from error


def _settings_problem(kind: type[BaseSettings], error: ValidationError) -> str:
    """One line naming the settings at fault and why, never the values given."""
    prefix = _ENV_NAMES[kind]
    problems: list[str] = []
    for detail in error.errors(include_input=False, include_url=False):
        name = ".".join(str(part) for part in detail["loc"]) or "setting"
        option = {"region": "--region", "base_url": "--base-url", "api_version": "--api-version"}
        where = f"{prefix}{name.upper()}"
        if kind is IntercomSettings and name in option:
            where += f" / {option[name]}"
        problems.append(f"{where}: {detail['msg']}")
    return "invalid configuration: " + "; ".join(_unique(problems))


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _read_token_file(path: Path) -> SecretStr:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise CliError(f"cannot read the token file {path}: {reason}") from error
    except UnicodeDecodeError as error:
        raise CliError(f"the token file {path} is not UTF-8 text") from error
    token = text.strip()
    if not token:
        raise CliError(f"the token file {path} is empty")
    if any(character.isspace() for character in token):
        raise CliError(f"the token file {path} holds more than one word; put the token alone")
    return SecretStr(token)
