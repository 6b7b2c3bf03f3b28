"""The load report: what was read, loaded, repaired and rejected, and why.

It is stored with each version in the registry and printed by the CLI, so a
planner sees what happened to their file without reading logs.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

MAX_EXAMPLES = 20


@dataclass
class LoadReport:
    """Counts and reasons gathered while loading one layer."""

    layer: str
    sources: list = field(default_factory=list)
    read: int = 0
    loaded: int = 0
    repaired: int = 0
    rejected: int = 0
    rejected_reasons: Counter = field(default_factory=Counter)
    rejected_examples: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    joins: list = field(default_factory=list)
    links: list = field(default_factory=list)
    version: int | None = None
    checksum: str | None = None
    seconds: float | None = None

    def reject(self, feature: int, reason: str) -> None:
        """Count one rejected feature (1-based position in its source)."""
        self.rejected += 1
        self.rejected_reasons[reason] += 1
        if len(self.rejected_examples) < MAX_EXAMPLES:
            self.rejected_examples.append({"feature": feature, "reason": reason})

    def warn(self, message: str) -> None:
        """Note something a person should know that did not stop the load."""
        if message not in self.warnings:
            self.warnings.append(message)

    def to_dict(self) -> dict:
        """Return the report as JSON-ready data."""
        data = asdict(self)
        data["rejected_reasons"] = dict(self.rejected_reasons)
        return data

    def summary(self) -> str:
        """Return the report as lines for a terminal."""
        lines = [f"layer {self.layer}: read {self.read}, loaded {self.loaded}, "
                 f"repaired {self.repaired}, rejected {self.rejected}"
                 + (f" -> version {self.version}" if self.version else "")]
        for source in self.sources:
            lines.append(f"  source {source['name']}: {source['driver']}, {source['features']} "
                         f"features, CRS {source['crs']} ({source['crs_origin']}), "
                         f"encoding {source['encoding']}")
        for reason, count in sorted(self.rejected_reasons.items()):
            lines.append(f"  rejected {count}: {reason}")
        for join in self.joins:
            lines.append(f"  join {join['table']}: {join['matched']} matched, "
                         f"{join['unmatched']} without a row")
        for link in self.links:
            lines.append(f"  link to {link['layer']}: {link['linked']} linked, "
                         f"{link['unlinked']} outside every {link['layer']} feature")
        lines.extend(f"  warning: {w}" for w in self.warnings)
        if self.seconds is not None:
            lines.append(f"  took {self.seconds:.2f} s")
        return "\n".join(lines)
