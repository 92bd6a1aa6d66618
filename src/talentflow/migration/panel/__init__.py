"""Emigration and return flows from resume sightings: a hidden Markov model of where each person lives.

A resume is seen only while its owner looks for a job, so most moves happen out of sight: someone seen at home in
March may next be seen abroad in November, or never again. Counting the changes one sees undercounts, by a factor
that depends on how often people search at home and abroad. The model here makes that factor explicit. Each
person's month-end state is one of five (home and searching, home and quiet, abroad and searching, abroad and
quiet, gone from the board); only searchers are seen, and a searcher abroad may still show the old city (a stale
resume). Baum-Welch (EM) fits monthly emigration and return probabilities, search start and stop rates by place,
the chance of searching right after a move, the staleness, and — through the people never seen at all — the size
of the board's population of profiles. The flows among profiles are scaled to the whole workforce by a population
figure the user gives (a census or an industry count at a reference month). Intervals come from a bootstrap over
people. The method, its assumptions and its validation on the simulator are in docs/migration.md.
"""

from talentflow.migration.panel._data import Panel, load_panel
from talentflow.migration.panel._fit import PanelFit, PanelOptions, Population, Progress, fit_panel, panel_flows
from talentflow.migration.panel._model import Params

__all__ = [
    "Panel",
    "PanelFit",
    "PanelOptions",
    "Params",
    "Population",
    "Progress",
    "fit_panel",
    "load_panel",
    "panel_flows",
]
