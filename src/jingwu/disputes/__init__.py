"""Disputes and mediation (矛盾纠纷): leads, directors' groups, cases, meetings, agreements."""
