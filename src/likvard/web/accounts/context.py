from typing import Any

from .models import ROLES
from .scoping import (
    may_download_run,
    may_import,
    may_list_schools,
    may_run,
    may_see_aggregates,
    role_of,
)

ROLE_LABELS = dict(ROLES)


def role(request: Any) -> dict[str, Any]:
    user = request.user
    r = role_of(user)
    return {
        "role": r,
        "role_label": ROLE_LABELS.get(r or "", ""),
        "may_list_schools": may_list_schools(user),
        "may_see_aggregates": may_see_aggregates(user),
        "may_download_run": may_download_run(user),
        "may_import": may_import(user),
        "may_run": may_run(user),
    }
