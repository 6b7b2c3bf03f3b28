"""Layer manifests: one YAML file per thematic module in layers/, checked against a schema.

A manifest is the contract between a planner and every output: only the
fields it declares are stored, and only those it marks ``public`` ever leave
the server.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from pathlib import Path

import jsonschema
import yaml

from mapserver.errors import InvalidData, NotFound

PG_TYPES = {
    "text": "text",
    "integer": "bigint",
    "float": "double precision",
    "boolean": "boolean",
    "date": "date",
    "datetime": "timestamptz",
}


@cache
def _schema() -> dict:
    return json.loads((resources.files("mapserver.layers") / "manifest.schema.json").read_text())


@cache
def _validator() -> jsonschema.protocols.Validator:
    cls = jsonschema.validators.validator_for(_schema())
    return cls(_schema(), format_checker=cls.FORMAT_CHECKER)


def categories() -> list[str]:
    """Return the dataset categories a manifest may name (the schema's list)."""
    return list(_schema()["properties"]["category"]["enum"])


@dataclass(frozen=True)
class Field:
    """One attribute of a layer."""

    name: str
    type: str
    description: dict
    visibility: str
    source: str | None = None
    title: dict | None = None
    editable: bool = False
    searchable: bool = False

    @property
    def public(self) -> bool:
        """Whether the field may leave the server: the one place the visibility rule is written.

        Every output reaches a field through `Manifest.public_fields` (or this
        property); tests/test_one_rule.py checks that no other module reads
        `visibility`.
        """
        return self.visibility == "public"

    @property
    def pg_type(self) -> str:
        return PG_TYPES[self.type]


@dataclass(frozen=True)
class Source:
    """One file feeding a layer, and how to read it."""

    path: Path
    layer: str | None = None
    crs: str | None = None
    encoding: str | None = None
    set: dict = field(default_factory=dict)
    rename: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Manifest:
    """A validated layer manifest.

    Typed views are parsed on first use and kept (``cached_property``): the
    registry's records hold one each, cached per worker, so the tile path reads
    attributes and never re-parses the raw dict.  `raw` must not change after
    that (nothing mutates a manifest in place: a change is a new version).
    `folder` resolves `sources` and `joins`; a manifest read back from the
    registry has none and is only served, never loaded.
    """

    raw: dict
    folder: Path | None = None

    @property
    def id(self) -> str:
        return self.raw["id"]

    @property
    def geometry(self) -> str:
        return self.raw["geometry"]

    @cached_property
    def fields(self) -> tuple[Field, ...]:
        return tuple(Field(**spec) for spec in self.raw["fields"])

    @cached_property
    def public_fields(self) -> tuple[Field, ...]:
        """Return the fields anybody may see, in manifest order: what every output reads."""
        return tuple(f for f in self.fields if f.public)

    @cached_property
    def public_field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.public_fields)

    @cached_property
    def searchable_fields(self) -> tuple[Field, ...]:
        """Return the public fields flagged ``searchable``; a staff field is never searched."""
        return tuple(f for f in self.public_fields if f.searchable)

    @property
    def id_field(self) -> str | None:
        return self.raw.get("id_field")

    @cached_property
    def zooms(self) -> tuple[int, int]:
        """Return (minzoom, maxzoom), the schema's defaults where the manifest says nothing."""
        props = _schema()["properties"]
        return (int(self.raw.get("minzoom", props["minzoom"]["default"])),
                int(self.raw.get("maxzoom", props["maxzoom"]["default"])))

    @property
    def minzoom(self) -> int:
        return self.zooms[0]

    @property
    def maxzoom(self) -> int:
        return self.zooms[1]

    @property
    def page(self) -> str | None:
        """Return the site path of a feature's own page, ``{fid}`` standing for its id, or None."""
        return self.raw.get("page")

    def field(self, name: str) -> Field | None:
        """Return the field called `name`, or None."""
        return next((f for f in self.fields if f.name == name), None)

    @property
    def sources(self) -> list[Source]:
        return [
            Source(
                path=(self.folder / spec["path"]).resolve(),
                layer=spec.get("layer"),
                crs=spec.get("crs"),
                encoding=spec.get("encoding"),
                set=spec.get("set", {}),
                rename=spec.get("rename", {}),
            )
            for spec in self.raw["sources"]
        ]

    @property
    def joins(self) -> list[dict]:
        return [dict(spec, path=(self.folder / spec["path"]).resolve())
                for spec in self.raw.get("joins", [])]

    @property
    def links(self) -> list[dict]:
        return self.raw.get("links", [])

    def with_source(self, path: Path, *, crs=None, encoding=None, layer=None) -> Manifest:
        """Return this manifest reading one other file instead of its own sources."""
        spec = {"path": str(path.resolve())}
        spec.update({k: v for k, v in (("crs", crs), ("encoding", encoding), ("layer", layer))
                     if v})
        raw = dict(self.raw, sources=[spec])
        return Manifest(raw=raw, folder=self.folder)


def validate(raw: dict, origin: str) -> list[str]:
    """Return every problem of a manifest as a sentence naming where it is."""
    problems = []
    for error in sorted(_validator().iter_errors(raw), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        problems.append(f"{origin}: {where}: {error.message}")
    if problems:
        return problems
    names = [f["name"] for f in raw["fields"]]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        problems.append(f"{origin}: fields: {', '.join(duplicates)} declared twice")
    for spec in raw["fields"]:
        if spec.get("searchable") and spec["type"] != "text":
            problems.append(f"{origin}: fields: '{spec['name']}' is searchable but not text "
                            "(the search matches text)")
    for key in ("id_field",):
        if raw.get(key) and raw[key] not in names:
            problems.append(f"{origin}: {key}: '{raw[key]}' is not one of the fields")
    for join in raw.get("joins", []):
        if join["field"] not in names:
            problems.append(f"{origin}: joins: '{join['field']}' is not one of the fields")
        for name in join["fields"]:
            if name not in names:
                problems.append(f"{origin}: joins: result '{name}' is not one of the fields")
    for link in raw.get("links", []):
        if link["into"] not in names:
            problems.append(f"{origin}: links: '{link['into']}' is not one of the fields")
    low, high = Manifest(raw=raw).zooms
    if low > high:
        problems.append(f"{origin}: minzoom is above maxzoom")
    if raw.get("valid_from") and raw.get("valid_to") and raw["valid_from"] >= raw["valid_to"]:
        problems.append(f"{origin}: valid_from is not before valid_to")
    return problems


def load_file(path: Path, *, check_sources: bool = True) -> Manifest:
    """Read and validate one manifest file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InvalidData(str(path), f"cannot be read as YAML ({exc})",
                          fix="correct the YAML syntax") from None
    if not isinstance(raw, dict):
        raise InvalidData(str(path), "is not a mapping of manifest keys",
                          fix="start from one of the manifests in layers/")
    problems = validate(raw, path.name)
    if not problems and raw["id"] != path.stem:
        problems.append(f"{path.name}: id '{raw['id']}' differs from the file name")
    manifest = Manifest(raw=raw, folder=path.parent.resolve()) if not problems else None
    if manifest and check_sources:
        for source in manifest.sources:
            if not source.path.exists():
                problems.append(f"{path.name}: source {source.path} does not exist")
        for join in manifest.joins:
            if not join["path"].exists():
                problems.append(f"{path.name}: join table {join['path']} does not exist")
    if problems:
        raise InvalidData(str(path), "; ".join(problems),
                          fix="see mapserver/layers/manifest.schema.json for what each key takes")
    return manifest


def load_all(folder: Path, *, check_sources: bool = True) -> dict[str, Manifest]:
    """Read every manifest of a folder, keyed by layer id."""
    return {path.stem: load_file(path, check_sources=check_sources)
            for path in sorted(folder.glob("*.yaml"))}


def find(folder: Path, layer_id: str) -> Manifest:
    """Return the manifest of one layer."""
    path = folder / f"{layer_id}.yaml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in folder.glob("*.yaml"))) or "none"
        raise NotFound(f"no manifest for layer '{layer_id}' in {folder}",
                       fix=f"use one of: {known}, or load a file with --layer")
    return load_file(path)
