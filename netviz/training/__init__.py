"""Training: a run prepared from a preset and options (:mod:`.run`), the full-batch trainer on all
cores (:mod:`.trainer`), what a run records into its trace (:mod:`.recording`) and weights files
(:mod:`.weights`). Uses the core, the data and the trace store; knows nothing of the UI."""
