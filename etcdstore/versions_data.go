package etcdstore

// The object versions of Ironic 21.4.4 (ironic/common/release_mappings.py),
// transcribed as data: Supported is get_object_versions() (every version
// any release of the mapping allows), Latest the first version of each
// object in RELEASE_MAPPING['master']. TestObjectVersionsMatchIronic
// compares them with the installed python3-ironic.

// Ironic214ObjectVersions returns the mapping of Ironic 21.4.4: a fresh
// copy, the caller may change it.
func Ironic214ObjectVersions() ObjectVersions {
	return ObjectVersions{
		Supported: map[string][]string{
			"Allocation":      {"1.0", "1.1"},
			"BIOSSetting":     {"1.0", "1.1"},
			"Chassis":         {"1.3"},
			"Conductor":       {"1.2", "1.3"},
			"DeployTemplate":  {"1.0", "1.1"},
			"Deployment":      {"1.0"},
			"Node":            {"1.21", "1.22", "1.23", "1.24", "1.25", "1.26", "1.27", "1.28", "1.29", "1.30", "1.31", "1.32", "1.33", "1.34", "1.35", "1.36", "1.37"},
			"NodeHistory":     {"1.0"},
			"NodeInventory":   {"1.0"},
			"Port":            {"1.7", "1.8", "1.9", "1.10", "1.11"},
			"Portgroup":       {"1.3", "1.4", "1.5"},
			"Trait":           {"1.0"},
			"TraitList":       {"1.0"},
			"VolumeConnector": {"1.0"},
			"VolumeTarget":    {"1.0"},
		},
		Latest: map[string]string{
			"Allocation":      "1.1",
			"BIOSSetting":     "1.1",
			"Chassis":         "1.3",
			"Conductor":       "1.3",
			"DeployTemplate":  "1.1",
			"Deployment":      "1.0",
			"Node":            "1.37",
			"NodeHistory":     "1.0",
			"NodeInventory":   "1.0",
			"Port":            "1.11",
			"Portgroup":       "1.5",
			"Trait":           "1.0",
			"TraitList":       "1.0",
			"VolumeConnector": "1.0",
			"VolumeTarget":    "1.0",
		},
	}
}
