"""Qt-free and torch-free core (design §2): artwork I/O, timeline, branches, frames, cache, export."""
