package etcdstore

// ErrExtraCompareForTest is the marker update and create return when a
// compare their caller added failed; no caller of the store may see it.
var ErrExtraCompareForTest = errExtraCompare
