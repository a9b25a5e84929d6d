package etcdstore

// EtcdErrorForTest exposes the one etcd error conversion to the external
// tests, which feed it errors real etcd returned.
func EtcdErrorForTest(err error, write bool) error { return etcdError(err, write) }
