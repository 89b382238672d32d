"""The static status site: dashboards of the catalog and of every train, with its histograms.

``build.build_site`` is the entry point; ``gather`` reads train outputs, ``model`` holds the
typed page data, ``svg`` draws histograms and ``render`` fills the templates of ``site/``.
"""
