"""The YAML form of a cycle file, read through PyYAML's composer so every node knows its line.

:func:`read_nodes` turns a composed node tree into a cycle; the JSON form reuses it.
"""

from __future__ import annotations

import yaml

from bot.cycle_file.limits import (
    FORMAT_VERSION,
    LANGUAGE_KEYS,
    LINK_KEYS,
    MONTHS_EN,
    THEME_KEYS,
    TOP_KEYS,
)
from bot.cycle_file.problems import CycleFileError, Problem, Problems, collected, shortened
from bot.cycle_file.rules import (
    check_name,
    check_theme,
    check_theme_keys,
    month_number,
    prepared,
)
from bot.domain import Bilingual, CycleDocument, Link, ThemeContent
from bot.meeting_items import FILE_FIELDS, MeetingError, NewMeeting, new_meeting

TAG_STR = "tag:yaml.org,2002:str"
TAG_NULL = "tag:yaml.org,2002:null"
TAG_INT = "tag:yaml.org,2002:int"
TAG_FLOAT = "tag:yaml.org,2002:float"
TAG_BOOL = "tag:yaml.org,2002:bool"


def _line(node: yaml.Node | None) -> int:
    mark = getattr(node, "start_mark", None)
    return int(mark.line) + 1 if mark is not None else 0


def _shown(node: yaml.Node) -> str:
    """A short picture of a node for messages."""
    if isinstance(node, yaml.ScalarNode):
        return shortened(str(node.value), 40)
    if isinstance(node, yaml.SequenceNode):
        return "[...]"
    return "{...}"


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == TAG_NULL


_Fields = dict[str, tuple[yaml.Node, yaml.Node]]


class _NodeReader:
    """Turns a composed YAML node tree into a :class:`CycleDocument`, collecting problems."""

    def __init__(self, out: Problems) -> None:
        self.out = out
        self.key_lines: dict[int, int] = {}  # month -> line of its theme key (or of the theme)

    def mapping(self, node: yaml.MappingNode, allowed: tuple[str, ...]) -> _Fields:
        fields: _Fields = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else _shown(key_node)
            if key not in allowed:
                self.out.add(
                    _line(key_node), "cycle.error.unknown_key", name=key, allowed=", ".join(allowed)
                )
            elif key in fields:
                self.out.add(
                    _line(key_node),
                    "cycle.error.duplicate_key",
                    name=key,
                    first_line=_line(fields[key][0]),
                )
            else:
                fields[key] = (key_node, value_node)
        return fields

    def text(self, node: yaml.Node, where: str) -> str | None:
        """The text of a scalar (stripped), "" for null, None after reporting a wrong type."""
        if isinstance(node, yaml.ScalarNode):
            if node.tag == TAG_STR:
                return str(node.value).strip()
            if node.tag == TAG_NULL:
                return ""
        self.out.add(_line(node), "cycle.error.not_text", where=where, value=_shown(node))
        return None

    def document(self, root: yaml.Node | None) -> CycleDocument:
        if root is None:
            self.out.add(1, "cycle.error.empty_file")
            raise self.out.fail()
        if not isinstance(root, yaml.MappingNode):
            self.out.add(_line(root), "cycle.error.top_not_mapping")
            raise self.out.fail()
        fields = self.mapping(root, TOP_KEYS)
        if "version" in fields:
            version = fields["version"][1]
            if not (
                isinstance(version, yaml.ScalarNode)
                and version.tag == TAG_INT
                and str(version.value).strip() == str(FORMAT_VERSION)
            ):
                self.out.add(_line(version), "cycle.error.bad_version", value=_shown(version))
        name = ""
        if "name" in fields:
            name_key, name_node = fields["name"]
            name = self.text(name_node, "name") or ""
            check_name(self.out, _line(name_key), name)
        themes: dict[int, ThemeContent] = {}
        if "months" not in fields:
            self.out.add(_line(root), "cycle.error.missing_months")
        else:
            months_key, months = fields["months"]
            if isinstance(months, yaml.MappingNode):
                themes = self.months(months)
                check_theme_keys(self.out, themes, self.key_lines)
            elif not _is_null(months):
                self.out.add(_line(months_key), "cycle.error.months_not_mapping")
            if not themes and not self.out.items:
                self.out.add(_line(months_key), "cycle.error.no_themes")
        meetings: tuple[NewMeeting, ...] = ()
        if "meetings" in fields:
            meetings = self.meetings(*fields["meetings"])
        if self.out.items:
            raise self.out.fail()
        return CycleDocument(name=name, themes=themes, meetings=meetings)

    def meetings(self, key_node: yaml.Node, node: yaml.Node) -> tuple[NewMeeting, ...]:
        """The optional ``meetings:`` list, each item checked as ``ledarforum meetings import``
        checks it (the same translated ``meetings.error.*`` texts), on the item's line."""
        if _is_null(node):
            return ()
        if not isinstance(node, yaml.SequenceNode):
            self.out.add(_line(key_node), "meetings.error.file")
            return ()
        found: list[NewMeeting] = []
        for number, item in enumerate(node.value, 1):
            if not isinstance(item, yaml.MappingNode):
                self.out.add(_line(item), "meetings.error.item", item=number)
                continue
            before = len(self.out.items)
            parts: dict[str, str] = {}
            for name, (_, value) in self.mapping(item, FILE_FIELDS).items():
                if isinstance(value, yaml.ScalarNode) and not _is_null(value):
                    # As written: 13:00 stays "13:00", not YAML 1.1's sexagesimal 780.
                    parts[name] = str(value.value).strip()
                else:
                    parts[name] = self.text(value, f"meetings.{number}.{name}") or ""
            if len(self.out.items) > before:
                continue
            try:
                found.append(
                    new_meeting(
                        parts.get("date", ""),
                        parts.get("time", ""),
                        minutes=parts.get("minutes") or None,
                        place=parts.get("place", ""),
                        link=parts.get("link") or None,
                        agenda=parts.get("agenda") or None,
                    )
                )
            except MeetingError as problem:
                self.out.add(_line(item), problem.key, item=number, **problem.params)
        return tuple(found)

    def months(self, node: yaml.MappingNode) -> dict[int, ThemeContent]:
        themes: dict[int, ThemeContent] = {}
        seen: dict[int, int] = {}
        for key_node, value_node in node.value:
            line = _line(key_node)
            month = (
                month_number(str(key_node.value)) if isinstance(key_node, yaml.ScalarNode) else None
            )
            if month is None:
                self.out.add(line, "cycle.error.bad_month", value=_shown(key_node))
                continue
            if month in seen:
                self.out.add(
                    line,
                    "cycle.error.duplicate_month",
                    value=_shown(key_node),
                    month=MONTHS_EN[month - 1],
                    first_line=seen[month],
                )
                continue
            seen[month] = line
            if _is_null(value_node):
                continue
            if not isinstance(value_node, yaml.MappingNode):
                self.out.add(
                    _line(value_node), "cycle.error.theme_not_mapping", month=MONTHS_EN[month - 1]
                )
                continue
            themes[month] = self.theme(month, line, value_node)
        return themes

    def theme(self, month: int, line: int, node: yaml.MappingNode) -> ThemeContent:
        label = MONTHS_EN[month - 1]
        fields = self.mapping(node, THEME_KEYS)
        lines: dict[str, int] = {"": line}
        skip: set[str] = set()

        def required_bilingual(name: str) -> Bilingual:
            if name not in fields:
                self.out.add(line, "cycle.error.missing_key", name=name, where=label)
                skip.add(name)
                return Bilingual("", "")
            key_node, value_node = fields[name]
            lines[name] = _line(key_node)
            return self.bilingual(value_node, f"{label}.{name}", name, lines, skip)

        title = required_bilingual("title")
        why_now = required_bilingual("why_now")

        questions: list[Bilingual] = []
        if "questions" not in fields:
            self.out.add(line, "cycle.error.missing_key", name="questions", where=label)
            skip.add("questions")
        else:
            key_node, value_node = fields["questions"]
            lines["questions"] = _line(key_node)
            for number, item in self.sequence(value_node, f"{label}.questions", skip, "questions"):
                path = f"questions.{number}"
                lines[path] = _line(item)
                questions.append(self.bilingual(item, f"{label}.{path}", path, lines, skip))

        delivery: Bilingual | None = None
        if "delivery" in fields and not _is_null(fields["delivery"][1]):
            key_node, value_node = fields["delivery"]
            lines["delivery"] = _line(key_node)
            delivery = self.bilingual(value_node, f"{label}.delivery", "delivery", lines, skip)

        links: list[Link] = []
        if "links" in fields:
            key_node, value_node = fields["links"]
            lines["links"] = _line(key_node)
            for number, item in self.sequence(value_node, f"{label}.links", skip, "links"):
                links.append(self.link(item, label, f"links.{number}", lines, skip))

        explicit_key: str | None = None
        if "key" in fields:
            key_node, value_node = fields["key"]
            lines["key"] = _line(key_node)
            explicit_key = self.text(value_node, f"{label}.key") or None
        self.key_lines[month] = lines.get("key", line)
        follows: list[str] = []
        if "follows" in fields:
            key_node, value_node = fields["follows"]
            lines["follows"] = _line(key_node)
            for number, item in self.sequence(value_node, f"{label}.follows", skip, "follows"):
                path = f"follows.{number}"
                lines[path] = _line(item)
                value = self.text(item, f"{label}.{path}")
                if value is None:
                    skip.add(path)
                follows.append(value or "")

        theme = ThemeContent(
            month=month,
            title=title,
            why_now=why_now,
            questions=tuple(questions),
            delivery=delivery,
            links=tuple(links),
            explicit_key=explicit_key,
            follows=tuple(follows),
        )
        check_theme(self.out, theme, lines, skip)
        return theme

    def sequence(
        self, node: yaml.Node, where: str, skip: set[str], path: str
    ) -> list[tuple[int, yaml.Node]]:
        if _is_null(node):
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.out.add(_line(node), "cycle.error.not_list", where=where)
            skip.add(path)
            return []
        return list(enumerate(node.value, 1))

    def bilingual(
        self, node: yaml.Node, where: str, path: str, lines: dict[str, int], skip: set[str]
    ) -> Bilingual:
        owner_line = lines.get(path, _line(node))
        if not isinstance(node, yaml.MappingNode):
            self.out.add(_line(node) or owner_line, "cycle.error.not_bilingual", where=where)
            skip.add(path)
            return Bilingual("", "")
        fields = self.mapping(node, LANGUAGE_KEYS)
        texts: dict[str, str] = {}
        for lang in LANGUAGE_KEYS:
            lang_path = f"{path}.{lang}"
            if lang not in fields:
                lines[lang_path] = owner_line
                texts[lang] = ""
                continue
            key_node, value_node = fields[lang]
            lines[lang_path] = _line(key_node)
            value = self.text(value_node, f"{where}.{lang}")
            if value is None:
                skip.add(lang_path)
            texts[lang] = value or ""
        return Bilingual(sv=texts["sv"], en=texts["en"])

    def link(
        self, node: yaml.Node, label: str, path: str, lines: dict[str, int], skip: set[str]
    ) -> Link:
        lines[path] = _line(node)
        if not isinstance(node, yaml.MappingNode):
            self.out.add(_line(node), "cycle.error.not_mapping", where=f"{label}.{path}")
            skip.add(path)
            return Link(Bilingual("", ""), "")
        fields = self.mapping(node, LINK_KEYS)
        if "title" in fields:
            key_node, value_node = fields["title"]
            lines[f"{path}.title"] = _line(key_node)
            title = self.bilingual(
                value_node, f"{label}.{path}.title", f"{path}.title", lines, skip
            )
        else:
            self.out.add(
                _line(node), "cycle.error.missing_key", name="title", where=f"{label}.{path}"
            )
            skip.add(f"{path}.title")
            title = Bilingual("", "")
        url = ""
        if "url" in fields:
            key_node, value_node = fields["url"]
            lines[f"{path}.url"] = _line(key_node)
            value = self.text(value_node, f"{label}.{path}.url")
            if value is None:
                skip.add(f"{path}.url")
            url = value or ""
        else:
            self.out.add(
                _line(node), "cycle.error.missing_key", name="url", where=f"{label}.{path}"
            )
            skip.add(f"{path}.url")
        return Link(title=title, url=url)


def _syntax_problem(text: str, error: yaml.YAMLError) -> Problem:
    """A PyYAML error as a problem with a line and a short translated description."""
    if isinstance(error, yaml.reader.ReaderError):
        line = text.count("\n", 0, max(0, int(error.position))) + 1
        return Problem(line, "cycle.error.bad_character", {"code": f"U+{int(error.character):04X}"})
    if isinstance(error, yaml.MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        line = int(mark.line) + 1 if mark is not None else 1
        problem = str(error.problem or "")
        context = str(error.context or "")
        if "'\\t'" in problem or "tab" in problem:
            return Problem(line, "cycle.error.syntax_tab")
        if "mapping values are not allowed" in problem:
            return Problem(line, "cycle.error.syntax_colon")
        if "quoted scalar" in context:
            start = error.context_mark or mark
            return Problem(int(start.line) + 1 if start else line, "cycle.error.syntax_quote")
        if "single document" in context:
            return Problem(line, "cycle.error.syntax_documents")
        if "alias" in problem or "anchor" in problem or "anchor" in context:
            return Problem(line, "cycle.error.syntax_alias", {"detail": problem})
        if "expected <block end>" in problem or "could not find expected ':'" in problem:
            return Problem(line, "cycle.error.syntax_indent")
        detail = "; ".join(part for part in (context, problem) if part) or type(error).__name__
        return Problem(line, "cycle.error.syntax", {"detail": detail})
    return Problem(1, "cycle.error.syntax", {"detail": str(error)[:200]})


def _compose(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        raise CycleFileError([_syntax_problem(text, error)]) from None
    except RecursionError:
        raise CycleFileError([Problem(1, "cycle.error.too_deep")]) from None


def read_nodes(root: yaml.Node | None) -> CycleDocument:
    """The cycle a composed node tree describes; raises :class:`CycleFileError` listing every
    problem."""
    return collected(lambda out: _NodeReader(out).document(root))


def load_cycle_yaml(text: str) -> CycleDocument:
    """Read a YAML cycle; raises :class:`CycleFileError` listing every problem found."""
    text = prepared(text)
    return read_nodes(_compose(text))
