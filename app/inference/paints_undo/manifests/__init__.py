"""Key/shape manifests of the full-size Paints-UNDO models (data, copied unchanged from the reference
folder). A package so that `importlib.resources` finds them in an installed wheel; read them through
`app.inference.paints_undo.weights.manifest(name)`."""
