"""A strict parser of Prometheus's text exposition format (version 0.0.4).

It rejects what a Prometheus server would reject, and more: a sample before its family's
TYPE, a second TYPE for a family, a sample whose name does not belong to its family's type,
a series given twice, a malformed label or value, a histogram whose buckets decrease or whose
+Inf bucket differs from its _count, and (Prometheus's naming rules) a counter whose name does
not end in _total.
"""

import math
import re

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


class ParseError(Exception):
    pass


def parse_value(text, line_number):
    if text in ("+Inf", "Inf"):
        return math.inf
    if text == "-Inf":
        return -math.inf
    if text == "NaN":
        return math.nan
    if not re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", text):
        raise ParseError("line %d: %r is not a number" % (line_number, text))
    return float(text)


def parse_labels(text, position, line_number):
    """Parses `{a="b",...}` starting at `position` (just after the brace); returns (labels, next)."""
    labels = []
    while True:
        if text.startswith("}", position):
            return tuple(labels), position + 1
        match = LABEL.match(text, position)
        if not match:
            raise ParseError("line %d: a label name is expected at column %d" % (line_number, position + 1))
        name = match.group(0)
        position = match.end()
        if not text.startswith('="', position):
            raise ParseError("line %d: label %s needs =\"value\"" % (line_number, name))
        position += 2
        value = []
        while True:
            if position >= len(text):
                raise ParseError("line %d: label %s's value is not closed" % (line_number, name))
            character = text[position]
            if character == "\\":
                escaped = text[position + 1:position + 2]
                if escaped not in ("\\", '"', "n"):
                    raise ParseError("line %d: bad escape \\%s in label %s" % (line_number, escaped, name))
                value.append("\n" if escaped == "n" else escaped)
                position += 2
            elif character == '"':
                position += 1
                break
            else:
                value.append(character)
                position += 1
        if any(existing == name for existing, _ in labels):
            raise ParseError("line %d: label %s given twice" % (line_number, name))
        labels.append((name, "".join(value)))
        if text.startswith(",", position):
            position += 1
        elif not text.startswith("}", position):
            raise ParseError("line %d: , or } expected after label %s" % (line_number, name))


def family_of(sample_name, families):
    """The family a sample belongs to: its own name, or a histogram's or summary's parts."""
    if sample_name in families:
        return sample_name
    for suffix in ("_bucket", "_sum", "_count"):
        if sample_name.endswith(suffix):
            base = sample_name[: -len(suffix)]
            if base in families and families[base]["type"] in ("histogram", "summary"):
                if suffix == "_bucket" and families[base]["type"] != "histogram":
                    break
                return base
    return None


def parse(text):
    """Returns {family: {"type": ..., "help": ..., "samples": {(name, labels): value}}}."""
    if text and not text.endswith("\n"):
        raise ParseError("the exposition must end with a newline")
    families = {}
    for line_number, line in enumerate(text.split("\n")[:-1] if text else [], start=1):
        if line == "":
            continue
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in ("TYPE", "HELP"):
                name = parts[2]
                if not NAME.fullmatch(name):
                    raise ParseError("line %d: %r is not a metric name" % (line_number, name))
                family = families.setdefault(name, {"type": None, "help": None, "samples": {}})
                if parts[1] == "TYPE":
                    if len(parts) != 4 or parts[3] not in TYPES:
                        raise ParseError("line %d: TYPE needs one of %s" % (line_number, sorted(TYPES)))
                    if family["type"] is not None:
                        raise ParseError("line %d: a second TYPE for %s" % (line_number, name))
                    if family["samples"]:
                        raise ParseError("line %d: TYPE of %s after its samples" % (line_number, name))
                    family["type"] = parts[3]
                else:
                    if family["help"] is not None:
                        raise ParseError("line %d: a second HELP for %s" % (line_number, name))
                    family["help"] = parts[3] if len(parts) == 4 else ""
            continue
        match = NAME.match(line)
        if not match:
            raise ParseError("line %d: a sample starts with a metric name: %r" % (line_number, line))
        sample_name = match.group(0)
        position = match.end()
        labels = ()
        if line.startswith("{", position):
            labels, position = parse_labels(line, position + 1, line_number)
        if not line.startswith(" ", position):
            raise ParseError("line %d: a space and a value must follow %s" % (line_number, sample_name))
        fields = line[position + 1:].split(" ")
        if not 1 <= len(fields) <= 2:
            raise ParseError("line %d: a value and an optional timestamp, not %r" % (line_number, fields))
        value = parse_value(fields[0], line_number)
        if len(fields) == 2 and not re.fullmatch(r"-?\d+", fields[1]):
            raise ParseError("line %d: the timestamp %r is not an integer" % (line_number, fields[1]))
        name = family_of(sample_name, families)
        if name is None or families[name]["type"] is None:
            raise ParseError("line %d: sample %s has no TYPE before it" % (line_number, sample_name))
        key = (sample_name, tuple(sorted(labels)))
        if key in families[name]["samples"]:
            raise ParseError("line %d: series %s%r given twice" % (line_number, sample_name, labels))
        families[name]["samples"][key] = value
    for name, family in families.items():
        check_family(name, family)
    return families


def check_family(name, family):
    kind = family["type"]
    if kind is None:
        raise ParseError("%s has a HELP but no TYPE" % name)
    samples = family["samples"]
    if kind == "counter":
        if not name.endswith("_total"):
            raise ParseError("counter %s: a counter's name ends in _total" % name)
        for key, value in samples.items():
            if key[0] != name or value < 0 or math.isnan(value):
                raise ParseError("counter %s: sample %r = %r" % (name, key, value))
    elif kind == "gauge":
        if name.endswith("_total"):
            raise ParseError("gauge %s: _total is for counters" % name)
        for key in samples:
            if key[0] != name:
                raise ParseError("gauge %s: sample %r" % (name, key))
    elif kind == "histogram":
        series = {}
        for (sample_name, labels), value in samples.items():
            if sample_name == name:
                raise ParseError("histogram %s: a bare sample" % name)
            if sample_name == name + "_bucket":
                bounds = [v for k, v in labels if k == "le"]
                if len(bounds) != 1:
                    raise ParseError("histogram %s: a bucket needs one le label: %r" % (name, labels))
                rest = tuple((k, v) for k, v in labels if k != "le")
                series.setdefault(rest, {"buckets": [], "sum": None, "count": None})["buckets"].append(
                    (parse_value(bounds[0], 0), value))
            else:
                part = "sum" if sample_name.endswith("_sum") else "count"
                series.setdefault(labels, {"buckets": [], "sum": None, "count": None})[part] = value
        for labels, parts in series.items():
            buckets = sorted(parts["buckets"])
            if not buckets or buckets[-1][0] != math.inf:
                raise ParseError("histogram %s%r: no +Inf bucket" % (name, labels))
            counts = [count for _, count in buckets]
            if counts != sorted(counts):
                raise ParseError("histogram %s%r: buckets decrease: %r" % (name, labels, buckets))
            if parts["count"] is None or parts["sum"] is None:
                raise ParseError("histogram %s%r: _sum and _count are required" % (name, labels))
            if parts["count"] != counts[-1]:
                raise ParseError("histogram %s%r: _count %r differs from the +Inf bucket %r" % (name, labels, parts["count"], counts[-1]))


def value(families, name, **labels):
    """The value of one series, or None when it is absent."""
    family = families.get(name) or families.get(family_of(name, families) or "", {})
    return family.get("samples", {}).get((name, tuple(sorted(labels.items()))))


def total(families, name):
    """The sum of every series of a counter or gauge family (0 when it is absent)."""
    family = families.get(name)
    return sum(v for (n, _), v in family["samples"].items() if n == name) if family else 0


def self_test():
    """The parser rejects what it must: run before trusting it."""
    good = "# TYPE a_total counter\na_total{code=\"x\"} 3\n# TYPE h histogram\nh_bucket{le=\"1.0\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 0.5\nh_count 2\n"
    parsed = parse(good)
    assert value(parsed, "a_total", code="x") == 3 and value(parsed, "h_count") == 2
    bad = [
        "a_total 1\n",                                              # no TYPE
        "# TYPE a_total counter\na_total 1",                        # no final newline
        "# TYPE a counter\na 1\n",                                  # counter without _total
        "# TYPE a_total counter\na_total{code=x} 1\n",              # unquoted label value
        "# TYPE a_total counter\na_total 1\na_total 2\n",           # series twice
        "# TYPE a_total counter\n# TYPE a_total counter\n",         # TYPE twice
        "# TYPE a_total counter\na_total one\n",                    # not a number
        "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",  # decreasing
        "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n",  # count differs
        "# TYPE g gauge\ng{a=\"1\",a=\"2\"} 1\n",                   # label twice
    ]
    for text in bad:
        try:
            parse(text)
        except ParseError:
            continue
        raise AssertionError("the Prometheus parser accepted %r" % text)
