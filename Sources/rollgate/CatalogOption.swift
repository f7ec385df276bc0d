import ArgumentParser
import Catalog

/// The help of every `--checks` option: where the rule files come from when it is not given.
let checksHelp = ArgumentHelp(
    "Directory of rule files. Default: $ROLLGATE_CHECKS, else ./checks when it exists, else the catalog installed "
        + "with rollgate (../share/rollgate/checks from the executable).", valueName: "dir")

/// The catalog named by `--checks`, or found without it (`CatalogLocation.find`).
func loadCatalog(_ flag: String?) throws -> Catalog {
    try CatalogLocation.find(flag: flag).load()
}
