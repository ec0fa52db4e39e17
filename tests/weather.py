"""The weather every end-to-end test syncs in: Asana's usual faults on a few percent of requests
(500 with a phrase, 502/503/504 with HTML or JSON bodies, dropped connections), seeded, so each test
sees the same faults every run. The strict request validation is on by default."""

WEATHER = {"fault_rates": {"500": 0.005, "502": 0.004, "503": 0.005, "504": 0.003, "drop": 0.005}, "fault_seed": 7}
