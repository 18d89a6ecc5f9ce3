"""The facilitator's report: one self-contained HTML file built from registered sections.

A section is one function (``ReportContext -> dict | None``) and one Jinja2 template, registered
with :func:`communitas.report.sections.register_section`; built-in sections and extensions (entry
point group ``communitas.report_sections``) use the same registration. See ``docs/report.md``.
"""

from communitas.report.build import ReportOptions, build_report, write_report
from communitas.report.sections import Section, register_section, registered_sections

__all__ = ["ReportOptions", "Section", "build_report", "register_section", "registered_sections",
           "write_report"]
