"""Domain exceptions of the catalog layer, in one module.

The service maps them to HTTP status codes in one place; the CLI prints their message. Every
message is plain Chinese, because a person (counter staff, a catalog administrator) reads it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from catalog.importer import ImportReport


class CatalogError(Exception):
    """Base class of every domain error raised by :mod:`catalog`."""


class ImportFileError(CatalogError):
    """A file to import cannot be read as a table (missing, unsupported format, bad encoding)."""


class ImportParameterError(CatalogError, ValueError):
    """A parameter given to an importer is invalid (unknown region code, bad date …)."""


class ImportRejected(CatalogError):
    """An import was refused: the file has invalid rows and partial import was not asked for.

    Attributes:
        report: The validation report, row by row.
    """

    def __init__(self, report: ImportReport, message: str | None = None) -> None:
        """Carry the report; the message defaults to a one-line summary of it."""
        self.report = report
        if message is None:
            message = (
                f"导入被拒绝：{report.source} 有 {report.rows_invalid} 行错误"
                f"（共 {len(report.errors)} 处），当前目录未作任何改动"
            )
        super().__init__(message)


class ImportConflict(CatalogError):
    """The catalog changed between planning an import and applying it; plan again."""


class RulesError(CatalogError):
    """A rules file is malformed; the message names the file, the line and the problem.

    Attributes:
        path: The rules file.
        line: The 1-based line of the problem (``None`` when it has no single line).
        problem: What is wrong, in plain Chinese.
    """

    def __init__(self, path: str, line: int | None, problem: str) -> None:
        """Build the message "规则文件 <path> 第 <line> 行：<problem>"."""
        self.path = path
        self.line = line
        self.problem = problem
        where = f"第 {line} 行" if line is not None else "（整个文件）"
        super().__init__(f"规则文件 {path} {where}：{problem}")
