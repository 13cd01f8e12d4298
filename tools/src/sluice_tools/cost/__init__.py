"""What Sluice costs and how to size it: traffic measured with the stages' own code
(:mod:`.traffic`), prices from dated per-region data files (:mod:`.prices`), the monthly bill per
service (:mod:`.model`) and the capacity settings for a peak and a target latency (:mod:`.plan`)."""
