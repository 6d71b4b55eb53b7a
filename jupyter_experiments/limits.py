"""Named limits on what the store accepts.

They are generous on purpose: they exist to turn a runaway loop or a corrupt value into a clear
error, not to constrain ordinary use.
"""

#: Length of experiment, trial and trial component names (SageMaker's limit is the same).
MAX_NAME_LENGTH = 120

#: Length of display names and of metric, parameter, artifact and tag names.
MAX_KEY_LENGTH = 255

#: Length of a description or a status message.
MAX_DESCRIPTION_LENGTH = 10_000

#: Parameters on one trial component.
MAX_PARAMETERS_PER_COMPONENT = 1_000

#: Characters in one string parameter value.
MAX_PARAMETER_VALUE_LENGTH = 65_536

#: Input plus output artifacts on one trial component.
MAX_ARTIFACTS_PER_COMPONENT = 1_000

#: Characters in an artifact value (a URI or a path).
MAX_ARTIFACT_VALUE_LENGTH = 4_096

#: Tags on one experiment, trial or trial component, and characters in one tag value.
MAX_TAGS = 200
MAX_TAG_VALUE_LENGTH = 4_096

#: Distinct metric names on one trial component.
MAX_METRICS_PER_COMPONENT = 1_000

#: Metric points accepted in one write call; the Tracker splits larger buffers itself.
MAX_METRIC_BATCH = 100_000

#: Times are UTC seconds since the epoch within what a Python datetime can hold
#: (0001-01-01 to 9999-12-31), so that every stored time can be read back as one.
MIN_TIMESTAMP_S = -62_135_596_800.0
MAX_TIMESTAMP_S = 253_402_300_799.0
