"""Deliverability (formulation.md sections 6 and 7): the verdict, why not, and what it would take.

- ``check``: conflict (``conflict``), each lever alone (``levers``), the smallest combined
  change (``relaxation``) and the verdict (``check``);
- ``sensitivity``: shadow prices of an optimal solve;
- ``wording``: every sentence a user reads, and the formatters.

Everything works on one ``optimiser.programme.Programme``; each experiment is made inside
``programme.changes()`` and undone, so the next solve starts hot from the last basis.

The package imports none of its modules: the pages, the reports and ``validate`` read ``wording``
without loading the check's machinery. Import what is used from its module.
"""
