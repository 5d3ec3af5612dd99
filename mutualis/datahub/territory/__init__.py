"""Territory dashboards (issue 7, clause 4): maps, time series, air quality, noise, traffic,
water levels, street lights and chargers, with plain-text summaries for elected officials.
See docs/territory-dashboards.md."""
