// Package lockcheck records what clients did to node locks during a fault
// run and checks the history for linearizability with porcupine against a
// sequential model of one node lock (holder, last holder and last fenced
// write).
//
// Every reserve of the model is bound to its client's lease (as the
// conductors of a fault run reserve): the store then keeps the holder as
// the node's last holder, and when the lease expires without a release
// the node still names it (a stale holder) while its lock is free. The
// stale holder's release succeeds and clears it; another's release or
// fenced write is NodeLocked naming it.
//
// An operation whose outcome is unknown (a timeout, a lost connection) is
// treated as possibly applied: it may take effect at any point after its
// call, as etcd's own robustness tests model failed requests. A lease that
// expires under a dead or paused holder is recorded as an Expire operation
// spanning the window in which the expiry may have happened.
package lockcheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"
)

// Kind is what a client tried.
type Kind int

const (
	Reserve Kind = iota // take the lock
	Release             // drop the lock
	Write               // a write fenced on holding the lock
	Expire              // the holder's lease ran out (not a client call)
	Read                // a linearizable read of holder and value
)

func (k Kind) String() string {
	return [...]string{"reserve", "release", "write", "expire", "read"}[k]
}

// Result is how an operation ended.
type Result int

const (
	OK        Result = iota
	Locked           // NodeLocked: held by Holder
	NotLocked        // NodeNotLocked
	Unknown          // may or may not have been applied
)

func (r Result) String() string { return [...]string{"ok", "locked", "not-locked", "unknown"}[r] }

// Input is one call on one node's lock.
type Input struct {
	Kind   Kind
	Node   int64
	Client string
	Value  string // the value a Write sets
}

// Output is what the call returned; Holder is the holder a Locked error
// named, or what a Read saw, with Value.
type Output struct {
	Result Result
	Holder string
	Value  string
}

// state is one node's lock: who holds it, who held it last without
// releasing it (the marker: the holder, or a stale holder whose lease
// expired), and the last written value.
type state struct{ holder, last, value string }

// Recorder collects a history from many goroutines.
type Recorder struct {
	start time.Time
	mu    sync.Mutex
	ops   []porcupine.Operation
}

// NewRecorder starts a history; times are measured from now.
func NewRecorder() *Recorder { return &Recorder{start: time.Now()} }

// Call marks the invocation of an operation; call the returned func with
// the outcome when it returns.
func (r *Recorder) Call(clientID int, in Input) func(Output) {
	call := time.Since(r.start).Nanoseconds()
	return func(out Output) {
		ret := time.Since(r.start).Nanoseconds()
		if out.Result == Unknown {
			ret = math.MaxInt64 // may take effect at any later time
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		r.ops = append(r.ops, porcupine.Operation{ClientId: clientID, Input: in, Call: call, Output: out, Return: ret})
	}
}

// Add records an operation observed elsewhere (another process's
// history), with its own times; a zero ret means it never returned
// (unknown outcome).
func (r *Recorder) Add(clientID int, in Input, out Output, call, ret time.Time) {
	c, e := call.Sub(r.start).Nanoseconds(), ret.Sub(r.start).Nanoseconds()
	if ret.IsZero() || out.Result == Unknown {
		e = math.MaxInt64
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ops = append(r.ops, porcupine.Operation{ClientId: clientID, Input: in, Call: c, Output: out, Return: e})
}

// NewRecorderAt starts a history whose times are measured from start.
func NewRecorderAt(start time.Time) *Recorder { return &Recorder{start: start} }

// Expired records that client's lock on node may have vanished with its
// lease at any time between from and to.
func (r *Recorder) Expired(clientID int, client string, node int64, from, to time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ops = append(r.ops, porcupine.Operation{
		ClientId: clientID,
		Input:    Input{Kind: Expire, Node: node, Client: client},
		Call:     from.Sub(r.start).Nanoseconds(),
		Output:   Output{Result: OK},
		Return:   to.Sub(r.start).Nanoseconds(),
	})
}

// Model is the sequential specification of a set of node locks,
// partitioned by node.
var Model = (&porcupine.NondeterministicModel{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byNode := map[int64][]porcupine.Operation{}
		for _, op := range history {
			n := op.Input.(Input).Node
			byNode[n] = append(byNode[n], op)
		}
		nodes := make([]int64, 0, len(byNode))
		for n := range byNode {
			nodes = append(nodes, n)
		}
		sort.Slice(nodes, func(i, j int) bool { return nodes[i] < nodes[j] })
		out := make([][]porcupine.Operation, len(nodes))
		for i, n := range nodes {
			out[i] = byNode[n]
		}
		return out
	},
	Init: func() []any { return []any{state{}} },
	Step: func(s, in, out any) []any {
		return step(s.(state), in.(Input), out.(Output))
	},
	DescribeOperation: func(in, out any) string {
		i, o := in.(Input), out.(Output)
		desc := fmt.Sprintf("%s(%s", i.Kind, i.Client)
		if i.Kind == Write {
			desc += ", " + i.Value
		}
		desc += ") -> " + o.Result.String()
		if o.Holder != "" {
			desc += " by " + o.Holder
		}
		return desc
	},
	DescribeState: func(s any) string {
		st := s.(state)
		return fmt.Sprintf("holder=%q last=%q value=%q", st.holder, st.last, st.value)
	},
}).ToModel()

// step lists the states the lock may be in after one operation.
func step(s state, in Input, out Output) []any {
	var applied state
	canApply := false
	switch in.Kind {
	case Read:
		if out.Result == OK && out.Holder == s.holder && out.Value == s.value {
			return []any{s}
		}
		return nil
	case Expire:
		if s.holder == in.Client {
			return []any{state{last: s.last, value: s.value}}
		}
		return []any{s}
	case Reserve:
		if s.holder == "" {
			applied, canApply = state{holder: in.Client, last: in.Client, value: s.value}, true
		}
	case Release:
		if s.holder == in.Client || s.holder == "" && s.last == in.Client {
			applied, canApply = state{value: s.value}, true
		}
	case Write:
		if s.holder == in.Client {
			applied, canApply = state{holder: s.holder, last: s.last, value: in.Value}, true
		}
	}
	// The reservation a node reports: its holder, else its stale holder.
	named := s.holder
	if named == "" {
		named = s.last
	}
	switch out.Result {
	case OK:
		if canApply {
			return []any{applied}
		}
	case Unknown:
		if canApply {
			return []any{s, applied}
		}
		return []any{s}
	case Locked:
		// Reserve reports Locked even to the holder itself, as Ironic does;
		// a stale holder keeps no one from reserving, but a release or a
		// fenced write by another is refused in its name.
		if in.Kind == Reserve && s.holder != "" && s.holder == out.Holder ||
			in.Kind != Reserve && named != "" && named == out.Holder && named != in.Client {
			return []any{s}
		}
	case NotLocked:
		// A fenced write by the stale holder itself finds its lock gone.
		if in.Kind == Release && named == "" || in.Kind == Write && s.holder == "" && (named == "" || named == in.Client) {
			return []any{s}
		}
	}
	return nil
}

// Verdict is the outcome of a check.
type Verdict struct {
	Operations   int
	Linearizable bool
	// Undecided is true when the checker ran out of time.
	Undecided bool
}

// Check checks the history; when visualization is not "", it writes
// porcupine's HTML visualisation there (always, so a passing run keeps its
// artifact too).
func (r *Recorder) Check(timeout time.Duration, visualization string) (Verdict, error) {
	r.mu.Lock()
	ops := append([]porcupine.Operation(nil), r.ops...)
	r.mu.Unlock()
	res, info := porcupine.CheckOperationsVerbose(Model, ops, timeout)
	v := Verdict{Operations: len(ops), Linearizable: res == porcupine.Ok, Undecided: res == porcupine.Unknown}
	if visualization != "" {
		if err := porcupine.VisualizePath(Model, info, visualization); err != nil {
			return v, err
		}
	}
	return v, nil
}

// Entry is one operation as a process writes it to its history file
// (JSON lines), with wall-clock times in Unix nanoseconds; Return is 0
// when the outcome is unknown. A process writes each operation twice:
// when it calls it (Unknown) and when it returns, under the same Seq, so
// a process killed mid-call leaves the call behind as possibly applied.
type Entry struct {
	Seq    int64  `json:"seq"`
	Client string `json:"client"`
	Kind   Kind   `json:"kind"`
	Node   int64  `json:"node"`
	Value  string `json:"value,omitempty"`
	Result Result `json:"result"`
	Holder string `json:"holder,omitempty"`
	Call   int64  `json:"call"`
	Return int64  `json:"return"`
}

// AddEntry records an entry of another process's history.
func (r *Recorder) AddEntry(clientID int, e Entry) {
	var ret time.Time
	if e.Return != 0 {
		ret = time.Unix(0, e.Return)
	}
	r.Add(clientID, Input{Kind: e.Kind, Node: e.Node, Client: e.Client, Value: e.Value},
		Output{Result: e.Result, Holder: e.Holder}, time.Unix(0, e.Call), ret)
}

// ReadEntries parses a JSON-lines history, keeping the last line of each
// Seq.
func ReadEntries(data []byte) ([]Entry, error) {
	bySeq := map[int64]Entry{}
	var order []int64
	for _, line := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var e Entry
		if err := json.Unmarshal(line, &e); err != nil {
			return nil, err
		}
		if _, seen := bySeq[e.Seq]; !seen {
			order = append(order, e.Seq)
		}
		bySeq[e.Seq] = e
	}
	out := make([]Entry, len(order))
	for i, seq := range order {
		out[i] = bySeq[seq]
	}
	return out, nil
}
