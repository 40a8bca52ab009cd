"""The registry of payment integrations: one line per provider package. Nothing else keeps a list of them.

A provider is one package under shop/ (client.py, verify.py, flow.py, views.py) whose __init__.py holds
its Provider record, plus its templates in templates/<id>/ and scripts in static/<id>/. Its id is the
package, blueprint, URL segment, config prefix (upper case) and step-name prefix.
"""
import importlib
from dataclasses import dataclass, field

PACKAGES = ("portone", "portone_v2", "toss")


@dataclass(frozen=True)
class Provider:
    id: str                  # 'portone'
    title: str               # how pages name it: 'PortOne V1'
    company: str             # the PG itself, as the sequence diagram's third actor: 'PortOne'
    live_api: str            # the real REST base URL
    live_sdk: str            # the real browser SDK script
    live_hosts: tuple        # what the CSP must allow in live mode
    live_keys: tuple         # settings that must be set in live mode
    emulator_keys: dict      # what the shop uses against the built-in emulator (public, not secrets)
    secret_keys: tuple       # settings whose values are secrets: never shown, always redacted
    emulator_path: str       # where the emulator serves it: /emulator<emulator_path>
    docs: str                # the PG's API reference
    extra: dict = field(default_factory=dict)

    @property
    def prefix(self):
        return self.id.upper() + "_"

    @property
    def module(self):
        return importlib.import_module(f"shop.{self.id}")

    @property
    def flow(self):
        return importlib.import_module(f"shop.{self.id}.flow")


def all():
    """Every provider, in the order the pages show them."""
    return tuple(importlib.import_module(f"shop.{name}").PROVIDER for name in PACKAGES)


def ids():
    return PACKAGES


def get(provider_id):
    """The Provider with this id; KeyError for an unknown one."""
    if provider_id not in PACKAGES:
        raise KeyError(provider_id)
    return importlib.import_module(f"shop.{provider_id}").PROVIDER
