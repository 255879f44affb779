//! Being built (see the output-devices issue).
