"""Human labels for enums that people see: the value is for forms and the API, the label for pages."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, TypeVar

E = TypeVar("E", bound="LabelledEnum")

_labels: dict[type, Mapping[Any, Any]] = {}


class LabelledEnum(enum.StrEnum):
    """A string enum whose members have a translatable ``label`` (registered with :func:`labels`)."""

    @property
    def label(self) -> str:
        return str(_labels[type(self)][self])


def labels(cls: type[E], mapping: Mapping[E, Any]) -> Mapping[E, Any]:
    """Register ``cls``'s labels (lazy gettext strings); every member must have one."""
    missing = set(cls) - set(mapping)
    if missing:
        raise TypeError(f"{cls.__name__} has no label for {sorted(m.value for m in missing)}")
    _labels[cls] = mapping
    return mapping
