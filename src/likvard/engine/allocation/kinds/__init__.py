"""The component kinds: one module per kind, and the registry the run dispatches on."""

from .area_cost import area_cost
from .base import Compute
from .charge import charge
from .composite import composite
from .fixed_grant import fixed_grant
from .funding_floor import funding_floor
from .index_pot import index_pot
from .individual import individual
from .lump_sum import lump_sum
from .merit_pot import merit_pot
from .minimum_per_pupil import minimum_per_pupil
from .per_attribute import per_attribute
from .per_flagged_pupil import per_flagged_pupil
from .per_pupil import per_pupil
from .pooled_premium import pooled_premium
from .pupil_pot import pupil_pot
from .share_of import share_of
from .sparsity import sparsity

#: Every kind of the model format (docs/model-format.md), by the name a model file uses.
REGISTRY: dict[str, Compute] = {
    "per_pupil": per_pupil,
    "share_of": share_of,
    "index_pot": index_pot,
    "pupil_pot": pupil_pot,
    "per_flagged_pupil": per_flagged_pupil,
    "individual": individual,
    "composite": composite,
    "pooled_premium": pooled_premium,
    "fixed_grant": fixed_grant,
    "charge": charge,
    "merit_pot": merit_pot,
    "per_attribute": per_attribute,
    "lump_sum": lump_sum,
    "sparsity": sparsity,
    "area_cost": area_cost,
    "minimum_per_pupil": minimum_per_pupil,
    "funding_floor": funding_floor,
}

__all__ = ["REGISTRY"]
