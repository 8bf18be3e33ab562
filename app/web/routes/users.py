"""``/api/v1/users``: the administrator's user management (role ``admin`` only)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from app.services.workspace import known_ids
from app.web.auth import audit
from app.web.deps import BaseStateDep, UserDep
from app.web.errors import request_lang
from app.web.messages import say
from geo.errors import InputError
from app.storage.users import ROLES

router = APIRouter(prefix="/api/v1/users", tags=["users"])

Role = Literal[ROLES]  # type: ignore[valid-type]
UserName = Annotated[str, Path(min_length=2, max_length=32, pattern=r"^[a-z0-9][a-z0-9_.-]{1,31}$")]


class NewUser(BaseModel):
    """A new user; a station user needs ``station_id`` (its jurisdiction)."""

    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=2, max_length=32, pattern=r"^[a-z0-9][a-z0-9_.-]{1,31}$")
    password: str = Field(min_length=10, max_length=1024)
    role: Role  # type: ignore[valid-type]
    station_id: str | None = Field(None, max_length=64)
    unit_id: str | None = Field(None, max_length=64, description="An officer's unit (units layer)")
    display_name: str = Field("", max_length=100)


class UserChange(BaseModel):
    """What to change; leave out what stays. Changing role, station or active ends the user's sessions."""

    model_config = ConfigDict(extra="forbid")
    role: Role | None = None  # type: ignore[valid-type]
    station_id: str | None = Field(None, max_length=64)
    unit_id: str | None = Field(None, max_length=64, description="An officer's unit (units layer)")
    display_name: str | None = Field(None, max_length=100)
    active: bool | None = None


class NewPassword(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: str = Field(min_length=10, max_length=1024)


def _known(state: Any) -> dict[str, set[str] | None]:
    """The workspace's station and unit ids (a user's station or unit is checked against them)."""
    ws = state.workspace()
    return {"stations": known_ids(ws, "stations", "station_id"), "units": known_ids(ws, "units", "unit_id")}


def _refused(request: Request, code: str) -> InputError:
    """A refusal of the users page, in the request's language."""
    return InputError(say(code, request_lang(request)) or code, code=code)


def _audit(request: Request, action: str, target: str, **details: Any) -> None:
    audit(request, action, target, strict=True, **details)  # a user change must not go unrecorded quietly


@router.get("", summary="Every user (never their password hashes)")
def list_users(state: BaseStateDep) -> dict[str, Any]:
    users = state.users.list()
    return {"total": len(users), "users": [u.as_dict() for u in users]}


@router.post("", status_code=201, summary="Add a user")
def add_user(request: Request, state: BaseStateDep, body: NewUser) -> dict[str, Any]:
    user = state.users.add(body.username, body.password, body.role, station_id=body.station_id,
                           display_name=body.display_name, unit_id=body.unit_id, **_known(state))
    _audit(request, "user_add", user.username, role=user.role, station_id=user.station_id,
           **({"unit_id": user.unit_id} if user.unit_id else {}))
    return user.as_dict()


@router.patch("/{username}", summary="Change a user's role, station, display name or active flag")
def change_user(request: Request, state: BaseStateDep, user: UserDep, username: UserName,
                body: UserChange) -> dict[str, Any]:
    if body.model_dump(exclude_none=True) == {}:
        raise _refused(request, "web.users.nothing_to_change")
    if username == user.username and (body.role not in (None, user.role) or body.active is False):
        raise _refused(request, "web.users.own_role")
    user = state.users.update(username, role=body.role, station_id=body.station_id, unit_id=body.unit_id,
                              display_name=body.display_name, active=body.active, **_known(state))
    _audit(request, "user_change", username, **body.model_dump(exclude_none=True))
    return user.as_dict()


@router.post("/{username}/password", summary="Set a user's password (ends their sessions)")
def reset_password(request: Request, state: BaseStateDep, username: UserName, body: NewPassword) -> dict[str, Any]:
    state.users.set_password(username, body.password)
    _audit(request, "password", username)
    return {"username": username, "password_changed": True}


@router.delete("/{username}", summary="Remove a user (the audit log keeps their name)")
def remove_user(request: Request, state: BaseStateDep, user: UserDep, username: UserName) -> dict[str, Any]:
    if username == user.username:
        raise _refused(request, "web.users.remove_self")
    state.users.remove(username)
    _audit(request, "user_remove", username)
    return {"username": username, "removed": True}
