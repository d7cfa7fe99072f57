"""Where ``dsr`` finds its configuration, and the one place the access token is handled.

The environment is read through pydantic-settings; an option beats it:

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
and process listings. The token is a ``SecretStr`` from the moment it is read until the
resolver gets it, so no ``repr``, log line or error shows it. ``--region`` or ``--base-url``
replaces both environment values, so ``--base-url`` works where ``INTERCOM_REGION`` is set.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final, Literal, TypeVar

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from dsr_resolvers.bulk import RetryPolicy
from dsr_resolvers.cli._errors import CliError
from dsr_resolvers.cli._trace import HookChain, RequestTrace
from dsr_resolvers.contract import PiiCategory
from dsr_resolvers.intercom import REGIONS, ErasurePolicy, IntercomResolver, RequestHooks
from dsr_resolvers.report import ProcessingRecord

__all__ = ["Connection", "IntercomSettings", "RetrySettings", "load_connection"]

_S = TypeVar("_S", bound=BaseSettings)
_OPTIONS: Final = ("region", "base_url", "api_version")  # also given as --region, ...


class IntercomSettings(BaseSettings):
    """The ``INTERCOM_*`` environment: how to reach the workspace."""

    model_config = SettingsConfigDict(env_prefix="INTERCOM_", extra="ignore", frozen=True)

    access_token: SecretStr | None = None
    region: Literal["us", "eu", "au"] | None = None
    base_url: str | None = None
    api_version: str = Field(default="2.14", min_length=1)
    timeout: float = Field(default=10.0, gt=0)


class RetrySettings(BaseSettings):
    """The ``DSR_RETRY_*`` environment: a ``RetryPolicy`` for single-subject commands."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    max_attempts: int = Field(default=4, ge=1, le=20, validation_alias="DSR_RETRY_ATTEMPTS")
    backoff_initial: float = Field(default=0.5, ge=0, validation_alias="DSR_RETRY_BACKOFF")
    backoff_max: float = Field(default=60.0, ge=0, validation_alias="DSR_RETRY_MAX_WAIT")


@dataclass(frozen=True)
class Connection:
    """A workspace to talk to, ready to build resolvers; only :meth:`resolver` unwraps the token.

    Attributes:
        retry: How single-subject commands retry transient failures.
        trace: Hooks for every resolver built here (``-v``, the spinner), called after those
            given to :meth:`resolver` (a bulk run's rate limiter).
        name: The workspace's name in the workspaces file, which its resolvers carry.
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
        if hooks is not None and self.trace is not None:
            hooks = HookChain(hooks, self.trace)
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
                hooks=self.trace if hooks is None else hooks,
                processing=processing,
                name=self.name or "intercom",  # the resolver's own default
            )
        except ValueError as error:  # its messages name the problem, never the token
            raise CliError(f"invalid configuration: {error}") from error


def load_connection(
    *,
    token_file: Path | None = None,
    region: str | None = None,
    base_url: str | None = None,
    api_version: str | None = None,
    trace: RequestTrace | None = None,
) -> Connection:
    """Combine the options (``--token-file``, ``--region``, ...) with the environment.

    Raises:
        CliError: No token, an unreadable or empty token file, both a region and a base URL,
            a base URL that is not https (nor http to loopback), or an environment value that
            does not validate. Always exit 2.
    """
    overrides: dict[str, Any] = {} if api_version is None else {"api_version": api_version}
    if region is not None or base_url is not None:  # either replaces both environment values
        overrides |= {"region": region, "base_url": base_url}
    settings = _validated(IntercomSettings, overrides)
    _validated(RetrySettings, {})  # before the token, as ever: a bad setting is named first
    token = _token(
        token_file,
        None if settings.access_token is None else settings.access_token.get_secret_value(),
        "no Intercom access token: set INTERCOM_ACCESS_TOKEN or pass --token-file FILE",
    )
    if settings.region is not None and settings.base_url is not None:
        raise CliError(
            "both a region and a base URL are set; give one of --region and --base-url "
            "(or of INTERCOM_REGION and INTERCOM_BASE_URL)"
        )
    host = REGIONS[settings.region or "us"] if settings.base_url is None else settings.base_url
    return _connection(host, token, overrides, trace)


def _connection(
    base_url: str,
    token: SecretStr,
    overrides: Mapping[str, Any],
    trace: RequestTrace | None,
    name: str | None = None,
) -> Connection:
    """A :class:`Connection` with the environment's settings, its host checked by the resolver."""
    settings = _validated(IntercomSettings, overrides)
    policy = RetryPolicy(**_validated(RetrySettings, {}).model_dump())
    connection = Connection(
        base_url.strip(), token, settings.api_version, settings.timeout, policy, trace, name
    )
    try:
        return replace(connection, base_url=connection.resolver().base_url)
    except CliError as error:
        if name is None:
            raise
        raise CliError(f"workspace {name!r}: {error.message}") from error


def _validated(kind: type[_S], overrides: Mapping[str, Any]) -> _S:
    """``kind`` read from the environment, or a CliError naming each setting at fault."""
    prefix = kind.model_config.get("env_prefix", "")
    try:
        return kind(**overrides)
    except ValidationError as error:
        problems = _problems(error, lambda at: prefix + (at or "setting").upper() + _option(at))
        raise CliError(f"invalid configuration: {problems}") from error


def _option(name: str) -> str:
    return f" / --{name.replace('_', '-')}" if name in _OPTIONS else ""


def _problems(error: ValidationError, where: Callable[[str], str] = str) -> str:
    """Each problem as ``where(location): reason``, ``; ``-joined; never a value given."""
    found = []
    for detail in error.errors(include_input=False, include_url=False):
        place = where(".".join(str(part) for part in detail["loc"]))
        reason = str(detail["msg"]).removeprefix("Value error, ")
        found.append(f"{place}: {reason}" if place else reason)
    return "; ".join(dict.fromkeys(found))


def _read_text(path: Path, what: str) -> str:
    """The ``what`` file's text, or a CliError naming the file and why (never its content)."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise CliError(f"cannot read the {what} file {path}: {reason}") from None
    except UnicodeDecodeError:
        raise CliError(f"the {what} file {path} is not UTF-8 text") from None


def _token(file: Path | None, value: str | None, unset: str) -> SecretStr:
    """The one word in ``file`` if given, else ``value`` stripped; ``unset`` if neither."""
    if file is None:
        if not value or not value.strip():  # a trailing newline of $(cat file) is not part of it
            raise CliError(unset)
        return SecretStr(value.strip())
    token = _read_text(file, "token").strip()
    if not token:
        raise CliError(f"the token file {file} is empty")
    if any(character.isspace() for character in token):
        raise CliError(f"the token file {file} holds more than one word; put the token alone")
    return SecretStr(token)
