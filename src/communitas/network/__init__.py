"""The community as a network: interaction graphs per window, figures, stages, roles, pictures.

>>> from communitas.network import GraphOptions
>>> GraphOptions().window_days, GraphOptions().stride_days
(90, 30)
"""

from communitas.network.analysis import (
    NetworkAnalysis,
    analyse,
    analyse_graph,
    network_figures,
    roles_over_time,
)
from communitas.network.graph import GraphOptions, build_graph, reply_ties, rolling_windows, whole_history
from communitas.network.roles import trajectories
from communitas.network.stages import classify_stage, network_or_team, timeline
from communitas.network.summary import stage_chart_spec, summary

__all__ = ["GraphOptions", "NetworkAnalysis", "analyse", "analyse_graph", "build_graph", "classify_stage",
           "network_figures", "network_or_team", "reply_ties", "roles_over_time", "rolling_windows",
           "stage_chart_spec", "summary", "timeline", "trajectories", "whole_history"]
