"""Pages of joint command, one module per page area: the railway station's joint console
(``console``), the roster board (``roster``), handovers (``handovers``), patrol plans with the
check-in map and the QR scan page (``patrols``) and recurring problems (``problems``). Thin edges
over the API's use cases; a DomainError is shown next to its field."""
