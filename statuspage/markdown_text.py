"""Markdown as readable plain text, for the text/plain part of emails (and anything else shown as text).

Not the Markdown source: emphasis marks, link brackets, heading hashes and code fences are gone; headings stand
on their own line, underlined; lists keep their bullets and numbers; links read ``text (url)``; quotes keep
``>``; code blocks are indented; tables become rows of ``a | b``. Raw HTML was never rendered (the Markdown
renderer escapes it), so it stays as the text that was typed.
"""
from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
_BLOCKS_JOIN = "\n\n"


def markdown_text(source: str | None) -> str:
    """``source`` (Markdown) as plain text, blocks separated by a blank line, no trailing newline."""
    tree = SyntaxTreeNode(_md.parse(source or ""))
    return _BLOCKS_JOIN.join(block for block in (_block(node) for node in tree.children) if block).strip()


def _block(node: SyntaxTreeNode) -> str:
    kind = node.type
    if kind == "paragraph":
        return _inline_of(node)
    if kind == "heading":
        text = _inline_of(node)
        return f"{text}\n{('=' if node.tag == 'h1' else '-') * min(len(text), 72)}"
    if kind in ("bullet_list", "ordered_list"):
        return _list(node)
    if kind == "blockquote":
        inner = _BLOCKS_JOIN.join(_block(child) for child in node.children)
        return "\n".join(f"> {line}".rstrip() for line in inner.splitlines())
    if kind in ("fence", "code_block"):
        return "\n".join(f"    {line}" for line in node.content.rstrip("\n").splitlines())
    if kind == "hr":
        return "-" * 20
    if kind == "table":
        return "\n".join(" | ".join(_inline_of(cell) for cell in row.children)
                         for section in node.children for row in section.children)
    return _BLOCKS_JOIN.join(_block(child) for child in node.children)


def _list(node: SyntaxTreeNode) -> str:
    start = int(node.attrs.get("start", 1)) if node.type == "ordered_list" else None
    lines = []
    for number, item in enumerate(node.children, start=start or 0):
        bullet = f"{number}. " if start is not None else "- "
        text = "\n".join(_block(child) for child in item.children)
        first, *rest = text.splitlines() or [""]
        lines.append(bullet + first)
        lines.extend(" " * len(bullet) + line if line else "" for line in rest)
    return "\n".join(lines)


def _inline_of(node: SyntaxTreeNode) -> str:
    return "".join(_inline(child) for child in node.children).strip()


def _inline(node: SyntaxTreeNode) -> str:
    kind = node.type
    if kind == "inline":
        return "".join(_inline(child) for child in node.children)
    if kind in ("text", "code_inline", "html_inline"):
        return node.content
    if kind == "softbreak" or kind == "hardbreak":
        return "\n"
    if kind == "link":
        text = "".join(_inline(child) for child in node.children)
        href = str(node.attrs.get("href", ""))
        return text if not href or href in (text, f"mailto:{text}") else f"{text} ({href})"
    if kind == "image":
        return str(node.attrs.get("alt") or node.content or "")
    return "".join(_inline(child) for child in node.children)
