"""The Paints-UNDO engine: single-frame keyframes, multi-frame segments, the WD14 tagger (design §4)."""
