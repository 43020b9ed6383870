"""Import NHS England publications into a scenario (``commission import nhs``; docs/nhs-import.md).

* ``sources``: open files as published (CSV or zip, BOM, CRLF, extra columns); check their figures
  (``numbers``); ``NhsInputError`` (a ``ScenarioInvalid`` naming the file, row and column);
  ``Origin``, where a built cell came from.
* ``readers``: one reader per publication, each checking its required columns.
* ``rolemap``: the shipped, overridable ``role_map.csv``.
* ``weights``: weighted lists from payments, else the age-sex estimate (``age_sex_weights.csv``).
* ``spec``: the default spec (``default_spec/``, a copy of ``data/specs/default/``) and spec clean-up.
* ``build``: ``import_nhs(inputs, icb=, sub_icb=, spec=, spec_label=, role_map=)`` -> document, scenario, report.
* ``report``: the report as console lines and Markdown, written beside the scenario.
* ``command``: what ``commission import nhs`` does (read, import, write); the command itself is
  declared in ``optimiser/cli.py`` with the others.
"""
