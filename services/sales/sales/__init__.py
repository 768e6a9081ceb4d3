"""The sales service: leads and the lead pool, the opportunity funnel, quotes with versions,
approval and a final PDF, contracts and orders, renewals and the forecast (imports nothing)."""
