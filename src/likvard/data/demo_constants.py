"""The demo municipality's shape: its register years, its municipality code, its districts
and school areas.

Why a module of its own: the generator's steps in ``demo`` (schools, pupils, calibration) and
in ``demo_decisions`` (support decisions, RSU groups) all draw on them, and the decisions step
should not import the whole generator to get them.
"""

__all__ = ["AREAS", "AREA_OF", "DISTRICTS", "STOCKHOLM", "YEARS"]

YEARS = (2021, 2022, 2023, 2024)
STOCKHOLM = "0180"

#: Approximate centres (lat, lon) of Stockholm's 14 city districts and their need (0–1).
DISTRICTS: dict[str, tuple[float, float, float]] = {
    "Rinkeby-Kista": (59.395, 17.925, 0.97),
    "Spånga-Tensta": (59.390, 17.880, 0.90),
    "Hässelby-Vällingby": (59.365, 17.850, 0.62),
    "Bromma": (59.340, 17.945, 0.15),
    "Kungsholmen": (59.332, 18.030, 0.10),
    "Norrmalm": (59.342, 18.060, 0.08),
    "Östermalm": (59.342, 18.090, 0.05),
    "Södermalm": (59.314, 18.070, 0.16),
    "Enskede-Årsta-Vantör": (59.280, 18.075, 0.58),
    "Skarpnäck": (59.268, 18.130, 0.38),
    "Farsta": (59.245, 18.090, 0.55),
    "Älvsjö": (59.280, 18.005, 0.28),
    "Hägersten-Liljeholmen": (59.300, 17.985, 0.42),
    "Skärholmen": (59.272, 17.905, 0.90),
}
#: Seven school areas, each over two districts (seed 002: 7 area chiefs over 14 districts).
AREAS = {
    "Grundskoleområde 1 (Rinkeby-Kista, Spånga-Tensta)": ("Rinkeby-Kista", "Spånga-Tensta"),
    "Grundskoleområde 2 (Hässelby-Vällingby, Bromma)": ("Hässelby-Vällingby", "Bromma"),
    "Grundskoleområde 3 (Kungsholmen, Norrmalm)": ("Kungsholmen", "Norrmalm"),
    "Grundskoleområde 4 (Östermalm, Södermalm)": ("Östermalm", "Södermalm"),
    "Grundskoleområde 5 (Enskede-Årsta-Vantör, Skarpnäck)": ("Enskede-Årsta-Vantör", "Skarpnäck"),
    "Grundskoleområde 6 (Farsta, Älvsjö)": ("Farsta", "Älvsjö"),
    "Grundskoleområde 7 (Hägersten-Liljeholmen, Skärholmen)": ("Hägersten-Liljeholmen", "Skärholmen"),
}
AREA_OF = {d: a for a, ds in AREAS.items() for d in ds}
