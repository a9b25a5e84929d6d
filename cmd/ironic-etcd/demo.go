package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/internal/embedded"
	"github.com/ironic-etcd/ironic-etcd/lease"
)

func init() { subcommands = append(subcommands, newDemoCmd) }

func newDemoCmd(g *globalFlags) *cobra.Command {
	var nodes int
	var ttl time.Duration
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Watch three conductors share nodes, lose one, and take over its nodes",
		Long: `Starts an embedded etcd in a temp dir (nothing to set up), enrolls a sample
inventory, runs three conductors that reserve, update and release nodes,
kills one of them while it holds nodes, and shows the others taking those
nodes over once its lease expires. Prints what happened, with timings.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd.OutOrStdout(), nodes, ttl)
		},
	}
	cmd.Flags().IntVar(&nodes, "nodes", 24, "nodes to enroll")
	cmd.Flags().DurationVar(&ttl, "ttl", 2*time.Second, "conductor lease TTL")
	return cmd
}

// demoConductor is one conductor of the demo, with its own client,
// store and session.
type demoConductor struct {
	name   string
	cli    *clientv3.Client
	store  *etcdstore.Store
	sess   *lease.Session
	cycles atomic.Int64
	held   []string // nodes it keeps reserved (a long deploy)
}

func runDemo(w io.Writer, nodeCount int, ttl time.Duration) error {
	start := time.Now()
	say := func(format string, args ...any) {
		fmt.Fprintf(w, "[%6.2fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}
	member, err := embedded.Start()
	if err != nil {
		return err
	}
	defer member.Close()
	say("embedded etcd serving on %s (data in %s)", member.Endpoints[0], member.Dir())
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()

	admin, adminCli, err := demoStore(member)
	if err != nil {
		return err
	}
	defer adminCli.Close()
	uuids, err := enrollSample(ctx, admin, nodeCount)
	if err != nil {
		return err
	}
	say("enrolled %d nodes with 2 ports each, tags and a chassis", len(uuids))

	var conductors []*demoConductor
	for i := 1; i <= 3; i++ {
		c, err := startConductor(ctx, member, fmt.Sprintf("conductor-%d", i), ttl)
		if err != nil {
			return err
		}
		defer c.cli.Close()
		conductors = append(conductors, c)
	}
	say("3 conductors registered, each with a %v lease", ttl)
	running, events, err := admin.WatchConductors(ctx)
	if err != nil {
		return err
	}
	say("membership watch sees %v", running)

	// conductor-3 starts a long operation on 4 nodes: it keeps them.
	victim := conductors[2]
	for _, u := range uuids[:4] {
		if _, err := victim.store.ReserveNode(ctx, victim.name, u, etcdstore.WithLease(victim.sess.Lease())); err != nil {
			return err
		}
		victim.held = append(victim.held, u)
	}
	say("%s reserved %d nodes for a long deploy", victim.name, len(victim.held))

	loopCtx, stopLoops := context.WithCancel(ctx)
	defer stopLoops()
	var wg sync.WaitGroup
	for _, c := range conductors {
		wg.Add(1)
		go func(c *demoConductor) {
			defer wg.Done()
			c.churn(loopCtx, uuids[4:])
		}(c)
	}
	time.Sleep(1500 * time.Millisecond)
	say("churn: %s", cycleSummary(conductors))

	// Kill conductor-3: no unregister, no release, no revoke.
	victim.sess.Abandon()
	victim.cli.Close()
	killed := time.Now()
	say("killed %s while it held %d nodes", victim.name, len(victim.held))

	// The survivors wait, fairly and without polling, for its nodes.
	type takeover struct {
		node, by string
		after    time.Duration
	}
	taken := make(chan takeover, len(victim.held))
	for i, u := range victim.held {
		c := conductors[i%2]
		wg.Add(1)
		go func(c *demoConductor, u string) {
			defer wg.Done()
			_, err := c.store.ReserveNode(ctx, c.name, u, etcdstore.WithWait(), etcdstore.WithLease(c.sess.Lease()))
			if err == nil {
				taken <- takeover{u, c.name, time.Since(killed)}
				_ = c.store.ReleaseNode(ctx, c.name, u)
			}
		}(c, u)
	}
	for ev := range events {
		if ev.Hostname == victim.name {
			say("membership watch: %s %s (%v after the kill)", ev.Hostname, ev.Kind, time.Since(killed).Round(time.Millisecond))
			break
		}
	}
	for range victim.held {
		select {
		case t := <-taken:
			say("node %s…  taken over by %s %v after the kill", t.node[:8], t.by, t.after.Round(time.Millisecond))
		case <-ctx.Done():
			return errors.New("the survivors did not take over the dead conductor's nodes")
		}
	}
	off, err := admin.GetOfflineConductors(ctx)
	if err != nil {
		return err
	}
	say("offline conductors: %v", off)
	stopLoops()
	wg.Wait()
	say("churn: %s", cycleSummary(conductors))
	say("done in %v", time.Since(start).Round(time.Millisecond))
	return nil
}

func demoStore(member *embedded.Server) (*etcdstore.Store, *clientv3.Client, error) {
	cli, err := member.Client()
	if err != nil {
		return nil, nil, err
	}
	s, err := etcdstore.New(cli)
	if err != nil {
		cli.Close()
		return nil, nil, err
	}
	return s, cli, nil
}

func enrollSample(ctx context.Context, s *etcdstore.Store, n int) ([]string, error) {
	ch, err := s.CreateChassis(ctx, etcdstore.Values{"description": "rack A"})
	if err != nil {
		return nil, err
	}
	var uuids []string
	for i := 0; i < n; i++ {
		node, err := s.CreateNode(ctx, etcdstore.Values{
			"name": fmt.Sprintf("node-%03d", i), "driver": []string{"ipmi", "redfish"}[i%2],
			"chassis_id": ch.Id, "provision_state": "available", "power_state": "power off",
			"properties": map[string]any{"cpus": 64, "memory_mb": 262144},
		})
		if err != nil {
			return nil, err
		}
		for p := 0; p < 2; p++ {
			if _, err := s.CreatePort(ctx, etcdstore.Values{"node_id": node.Id, "address": fmt.Sprintf("52:54:00:00:%02x:%02x", i, p)}); err != nil {
				return nil, err
			}
		}
		if _, err := s.SetNodeTags(ctx, node.Id, []string{fmt.Sprintf("rack-%d", i%4)}); err != nil {
			return nil, err
		}
		uuids = append(uuids, node.Uuid)
	}
	return uuids, nil
}

func startConductor(ctx context.Context, member *embedded.Server, name string, ttl time.Duration) (*demoConductor, error) {
	s, cli, err := demoStore(member)
	if err != nil {
		return nil, err
	}
	sess, err := lease.New(ctx, cli, lease.WithTTL(ttl))
	if err != nil {
		return nil, err
	}
	if _, err := s.RegisterConductor(ctx, etcdstore.Values{"hostname": name, "drivers": []string{"ipmi", "redfish"}}, false,
		etcdstore.WithConductorLease(sess.Lease())); err != nil {
		return nil, err
	}
	return &demoConductor{name: name, cli: cli, store: s, sess: sess}, nil
}

// churn reserves a node, flips its power state under a fenced write and
// releases it, over and over, until ctx ends or the session is lost.
func (c *demoConductor) churn(ctx context.Context, nodes []string) {
	flip := []string{"power on", "power off"}
	for i := 0; ctx.Err() == nil && c.sess.Err() == nil; i++ {
		u := nodes[(i*7+len(c.name))%len(nodes)]
		n, err := c.store.ReserveNode(ctx, c.name, u, etcdstore.WithLease(c.sess.Lease()))
		if err != nil {
			continue
		}
		if _, err := c.store.UpdateNode(ctx, u, etcdstore.Values{"power_state": flip[i%2]},
			etcdstore.WithFence(c.name, n.ReservationRevision)); err == nil {
			c.cycles.Add(1)
		}
		_ = c.store.ReleaseNode(ctx, c.name, u)
	}
}

func cycleSummary(cs []*demoConductor) string {
	out := ""
	for _, c := range cs {
		out += fmt.Sprintf("%s %d cycles  ", c.name, c.cycles.Load())
	}
	return out
}
