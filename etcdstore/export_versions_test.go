package etcdstore

// VersionedModels lists the models the version methods walk, in their
// order, each as "name" or "name in table" for a nested one.
func VersionedModels() []string {
	var out []string
	for _, m := range versionedModels() {
		if m.nested != nil {
			out = append(out, m.name+" in "+m.t.name)
		} else {
			out = append(out, m.name)
		}
	}
	return out
}
