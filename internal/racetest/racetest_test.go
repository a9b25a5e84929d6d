package racetest_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"google.golang.org/grpc"

	"github.com/ironic-etcd/ironic-etcd/internal/embedded"
	"github.com/ironic-etcd/ironic-etcd/internal/racetest"
)

var (
	victim, rival *clientv3.Client
)

func TestMain(m *testing.M) {
	code := func() int {
		server, err := embedded.Start()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer server.Close()
		victim, err = clientv3.New(clientv3.Config{Endpoints: server.Endpoints, DialTimeout: 5 * time.Second,
			Logger: zap.NewNop(), DialOptions: []grpc.DialOption{racetest.DialOption()}})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer victim.Close()
		if rival, err = server.Client(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer rival.Close()
		return m.Run()
	}()
	if code == 0 {
		if err := goleak.Find(goleak.IgnoreTopFunction("go.opencensus.io/stats/view.(*worker).start")); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// readModifyWrite is a victim: a read, then a write that compares the
// revision read. It returns whether the write committed.
func readModifyWrite(ctx context.Context, key string) (bool, error) {
	got, err := victim.Get(ctx, key)
	if err != nil {
		return false, err
	}
	var rev int64
	if len(got.Kvs) > 0 {
		rev = got.Kvs[0].ModRevision
	}
	resp, err := victim.Txn(ctx).If(clientv3.Compare(clientv3.ModRevision(key), "=", rev)).
		Then(clientv3.OpPut(key, "victim")).Commit()
	if err != nil {
		return false, err
	}
	return resp.Succeeded, nil
}

func TestRecordCountsOnlyTracedCalls(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	key := "/racetest/" + t.Name()
	if _, err := readModifyWrite(ctx, key); err != nil { // untraced: not counted
		t.Fatal(err)
	}
	traced, trace := racetest.Record(ctx)
	if _, err := readModifyWrite(traced, key); err != nil {
		t.Fatal(err)
	}
	if _, err := victim.Get(ctx, key); err != nil { // untraced again
		t.Fatal(err)
	}
	if got, want := trace.Calls(), []string{racetest.Range, racetest.Txn}; !reflect.DeepEqual(got, want) {
		t.Fatalf("calls %v, want %v", got, want)
	}
	want := []racetest.Point{racetest.Before(racetest.Range, 1), racetest.Before(racetest.Txn, 1)}
	if got := trace.Points(); !reflect.DeepEqual(got, want) {
		t.Fatalf("points %v, want %v", got, want)
	}
}

// A rival write injected between the victim's read and its write makes
// the victim's compare fail, on every run; injected before the read it
// does not.
func TestArmInjectsAtThePoint(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	key := "/racetest/" + t.Name()
	rivalWrite := func(ctx context.Context) error {
		_, err := rival.Put(ctx, key, "rival")
		return err
	}
	for run := 0; run < 5; run++ {
		for _, tc := range []struct {
			point racetest.Point
			wins  bool
		}{
			{racetest.Before(racetest.Range, 1), true},
			{racetest.Before(racetest.Txn, 1), false},
			{racetest.Between(racetest.Range, 1, racetest.Txn), false},
		} {
			armed, trig, trace := racetest.Arm(ctx, tc.point, rivalWrite)
			won, err := readModifyWrite(armed, key)
			if err != nil || trig.Err() != nil {
				t.Fatal(err, trig.Err())
			}
			if !trig.Fired() {
				t.Fatalf("%v did not fire (calls %v)", tc.point, trace.Calls())
			}
			if won != tc.wins {
				t.Fatalf("%v: victim's write committed %v, want %v", tc.point, won, tc.wins)
			}
		}
	}
}

// The trigger fires once: at the Nth call of its method, not before, and
// not again at later calls of the same kind.
func TestTriggerFiresOnceAtTheNthCall(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fired := 0
	var firedAfter int
	var trace *racetest.Trace
	armed, trig, trace := racetest.Arm(ctx, racetest.Before(racetest.Range, 3), func(context.Context) error {
		fired++
		firedAfter = len(trace.Calls())
		return errors.New("rival failed")
	})
	for i := 0; i < 5; i++ {
		if _, err := victim.Get(armed, "/racetest/x"); err != nil {
			t.Fatal(err)
		}
	}
	if fired != 1 || firedAfter != 3 {
		t.Fatalf("fired %d times, with %d calls recorded, want once with 3", fired, firedAfter)
	}
	if trig.Err() == nil || trig.Point() != racetest.Before(racetest.Range, 3) {
		t.Fatalf("trigger lost the rival's error or its point: %v %v", trig.Err(), trig.Point())
	}
}

// Between counts the write from the given read: with two reads before a
// write, the point after the first read is the same Txn as after the
// second, and a point whose read never happens never fires.
func TestBetweenCountsFromItsRead(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	calls := func(ctx context.Context) {
		victim.Get(ctx, "/racetest/a")
		victim.Get(ctx, "/racetest/b")
		victim.Txn(ctx).Commit()
		victim.Txn(ctx).Commit()
	}
	for _, tc := range []struct {
		point   racetest.Point
		atCalls int // calls recorded when it fires, 0 for never
	}{
		{racetest.Between(racetest.Range, 1, racetest.Txn), 3},
		{racetest.Between(racetest.Range, 2, racetest.Txn), 3},
		{racetest.Before(racetest.Txn, 2), 4},
		{racetest.Between(racetest.Range, 3, racetest.Txn), 0},
	} {
		var trace *racetest.Trace
		at := 0
		armed, _, trace := racetest.Arm(ctx, tc.point, func(context.Context) error { at = len(trace.Calls()); return nil })
		calls(armed)
		if at != tc.atCalls {
			t.Errorf("%v fired at call %d, want %d", tc.point, at, tc.atCalls)
		}
	}
	traced, trace := racetest.Record(ctx)
	calls(traced)
	if !slices.Contains(trace.Points(), racetest.Between(racetest.Range, 1, racetest.Txn)) || len(trace.Points()) != 5 {
		t.Fatalf("points %v: want before each of the 4 calls and between the first Range and the Txn", trace.Points())
	}
	// The rival's own calls through the victim's client are not counted.
	armed, _, trace := racetest.Arm(ctx, racetest.Before(racetest.Range, 1), func(ctx context.Context) error {
		_, err := victim.Get(ctx, "/racetest/rival")
		return err
	})
	calls(armed)
	if n := len(trace.Calls()); n != 4 {
		t.Fatalf("%d calls recorded, want the victim's 4", n)
	}
}
