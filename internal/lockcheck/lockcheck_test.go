package lockcheck

import (
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

// op builds an operation at explicit times, for exact histories.
func op(client int, in Input, call, ret int64, out Output) porcupine.Operation {
	return porcupine.Operation{ClientId: client, Input: in, Call: call, Output: out, Return: ret}
}

func check(t *testing.T, ops ...porcupine.Operation) bool {
	t.Helper()
	return porcupine.CheckOperations(Model, ops)
}

var (
	resA  = Input{Kind: Reserve, Node: 1, Client: "a"}
	resB  = Input{Kind: Reserve, Node: 1, Client: "b"}
	relA  = Input{Kind: Release, Node: 1, Client: "a"}
	relB  = Input{Kind: Release, Node: 1, Client: "b"}
	wrA   = Input{Kind: Write, Node: 1, Client: "a", Value: "x"}
	expA  = Input{Kind: Expire, Node: 1, Client: "a"}
	ok    = Output{Result: OK}
	lockA = Output{Result: Locked, Holder: "a"}
	lockB = Output{Result: Locked, Holder: "b"}
)

func TestLegalHistories(t *testing.T) {
	cases := map[string][]porcupine.Operation{
		"reserve, conflict, release, reserve": {
			op(0, resA, 0, 1, ok), op(1, resB, 2, 3, lockA), op(0, relA, 4, 5, ok), op(1, resB, 6, 7, ok)},
		"same tag reserving again is Locked": {
			op(0, resA, 0, 1, ok), op(0, resA, 2, 3, lockA)},
		"release of a free lock is NotLocked": {
			op(0, relA, 0, 1, Output{Result: NotLocked})},
		"concurrent reserves, one wins": {
			op(0, resA, 0, 10, ok), op(1, resB, 1, 9, lockA)},
		"unknown reserve may not have applied": {
			op(0, resA, 0, math.MaxInt64, Output{Result: Unknown}), op(1, resB, 5, 6, ok)},
		"unknown reserve may have applied": {
			op(0, resA, 0, math.MaxInt64, Output{Result: Unknown}), op(1, resB, 5, 6, lockA)},
		"expiry frees the lock of a dead holder": {
			op(0, resA, 0, 1, ok), op(0, expA, 2, 20, ok), op(1, resB, 10, 11, ok)},
		"fenced write by the holder": {
			op(0, resA, 0, 1, ok), op(0, wrA, 2, 3, ok), op(0, relA, 4, 5, ok)},
		"the stale holder's release clears it": {
			op(0, resA, 0, 1, ok), op(0, expA, 2, 3, ok), op(1, relB, 4, 5, lockA), op(0, wrA, 6, 7, Output{Result: NotLocked}),
			op(0, relA, 8, 9, ok), op(1, relB, 10, 11, Output{Result: NotLocked})},
		"a stale holder's node is reserved by another at once": {
			op(0, resA, 0, 1, ok), op(0, expA, 2, 3, ok), op(1, resB, 4, 5, ok), op(0, relA, 6, 7, lockB)},
		"a read sees the last write": {
			op(0, resA, 0, 1, ok), op(0, wrA, 2, 3, ok), op(1, Input{Kind: Read, Node: 1}, 4, 5, Output{Result: OK, Holder: "a", Value: "x"})},
	}
	for name, ops := range cases {
		if !check(t, ops...) {
			t.Errorf("%s: judged not linearizable", name)
		}
	}
}

func TestIllegalHistories(t *testing.T) {
	cases := map[string][]porcupine.Operation{
		"two holders at once": {
			op(0, resA, 0, 1, ok), op(1, resB, 2, 3, ok)},
		"locked error names the wrong holder": {
			op(0, resA, 0, 1, ok), op(1, resB, 2, 3, lockB)},
		"stale write after the lease expired and another took the node": {
			op(0, resA, 0, 1, ok), op(0, expA, 2, 3, ok), op(1, resB, 4, 5, ok), op(0, wrA, 6, 7, ok)},
		"a read that misses an acknowledged write": {
			op(0, resA, 0, 1, ok), op(0, wrA, 2, 3, ok), op(1, Input{Kind: Read, Node: 1}, 4, 5, Output{Result: OK, Holder: "a"})},
		"release by another than the stale holder succeeds": {
			op(0, resA, 0, 1, ok), op(0, expA, 2, 3, ok), op(1, relB, 4, 5, ok)},
		"release by the stale holder after another reserved succeeds": {
			op(0, resA, 0, 1, ok), op(0, expA, 2, 3, ok), op(1, resB, 4, 5, ok), op(0, relA, 6, 7, ok)},
		"release of a stale holder's node is NotLocked": {
			op(0, resA, 0, 1, ok), op(0, expA, 2, 3, ok), op(1, relB, 4, 5, Output{Result: NotLocked})},
		"release by a non-holder succeeds": {
			op(0, resA, 0, 1, ok), op(1, Input{Kind: Release, Node: 1, Client: "b"}, 2, 3, ok)},
	}
	for name, ops := range cases {
		if check(t, ops...) {
			t.Errorf("%s: judged linearizable", name)
		}
	}
}

// Nodes are independent: a history is checked per node.
func TestPartitionByNode(t *testing.T) {
	resA2 := Input{Kind: Reserve, Node: 2, Client: "a"}
	if !check(t, op(0, resA, 0, 1, ok), op(0, resA2, 0, 1, ok)) {
		t.Fatal("locks on two nodes interfered")
	}
}

func TestRecorderCheckWritesVisualization(t *testing.T) {
	r := NewRecorder()
	done := r.Call(0, resA)
	done(ok)
	done = r.Call(1, resB)
	done(lockA)
	path := filepath.Join(t.TempDir(), "history.html")
	v, err := r.Check(10*time.Second, path)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Linearizable || v.Operations != 2 {
		t.Fatalf("verdict %+v", v)
	}
	if m, _ := filepath.Glob(path); len(m) != 1 {
		t.Fatal("no visualization written")
	}
}
