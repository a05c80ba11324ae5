"""cliper-sched: Terraform for your posting schedule.

CLIPER workspace -> plan file (YAML, reviewed in git) -> Postiz, reconciled.
"""

__version__ = "0.1.0"
