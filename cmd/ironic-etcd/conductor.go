package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/internal/lockcheck"
	"github.com/ironic-etcd/ironic-etcd/lease"
)

func init() { subcommands = append(subcommands, newConductorSimCmd) }

// newConductorSimCmd is a hidden conductor for fault tests: it runs the
// lock churn of W5 with a lease-bound session and fenced writes, and
// writes every operation to a history file for the linearizability check.
func newConductorSimCmd(g *globalFlags) *cobra.Command {
	var host, history string
	var nodes int
	var ttl, duration time.Duration
	cmd := &cobra.Command{
		Use:    "conductor-sim",
		Hidden: true,
		Short:  "Run a simulated conductor (lock churn) recording its history",
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, cli, err := g.store()
			if err != nil {
				return err
			}
			defer cli.Close()
			f, err := os.Create(history)
			if err != nil {
				return err
			}
			defer f.Close()
			w := bufio.NewWriter(f)
			rec := &historyWriter{w: w, host: host}
			ctx, cancel := context.WithTimeout(context.Background(), duration)
			defer cancel()
			err = churnAsConductor(ctx, store, rec, host, nodes, ttl, g)
			if ferr := w.Flush(); err == nil {
				err = ferr
			}
			return err
		},
	}
	cmd.Flags().StringVar(&host, "hostname", "", "conductor hostname")
	cmd.Flags().StringVar(&history, "history", "", "file for the JSON-lines history")
	cmd.Flags().IntVar(&nodes, "nodes", 10, "work on node ids 1..n")
	cmd.Flags().DurationVar(&ttl, "ttl", 2*time.Second, "session lease TTL")
	cmd.Flags().DurationVar(&duration, "duration", 10*time.Second, "how long to run")
	return cmd
}

type historyWriter struct {
	w    *bufio.Writer
	host string
	seq  int64
}

func (h *historyWriter) write(e lockcheck.Entry) {
	line, _ := json.Marshal(e)
	h.w.Write(append(line, '\n'))
	h.w.Flush()
}

// record runs op, timing it, and writes the entry (flushed, so a killed
// process leaves every completed entry on disk).
func (h *historyWriter) record(kind lockcheck.Kind, node int64, value string, op func() error) error {
	h.seq++
	e := lockcheck.Entry{Seq: h.seq, Client: h.host, Kind: kind, Node: node, Value: value, Call: time.Now().UnixNano(),
		Result: lockcheck.Unknown}
	h.write(e) // the call: possibly applied until its result is written
	err := op()
	e.Return = time.Now().UnixNano()
	switch holder, locked := etcdstore.NodeLockedHolder(err); {
	case err == nil:
		e.Result = lockcheck.OK
	case locked:
		e.Result, e.Holder = lockcheck.Locked, holder
	case errors.Is(err, etcdstore.ErrNodeNotLocked):
		e.Result = lockcheck.NotLocked
	default: // a timeout or a lost connection: it may have been applied
		e.Result, e.Return = lockcheck.Unknown, 0
	}
	h.write(e)
	return err
}

func churnAsConductor(ctx context.Context, s *etcdstore.Store, h *historyWriter, host string, nodes int, ttl time.Duration, g *globalFlags) error {
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	for ctx.Err() == nil {
		sess, err := lease.New(ctx, s.Client(), lease.WithTTL(ttl), lease.WithKeyPrefix(s.Keys().Sessions()))
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		if _, err := s.RegisterConductor(ctx, etcdstore.Values{"hostname": host, "drivers": []string{"fake-hardware"}}, true,
			etcdstore.WithConductorLease(sess.Lease())); err != nil {
			sess.Close(context.Background())
			time.Sleep(100 * time.Millisecond)
			continue
		}
		for i := 0; ctx.Err() == nil; i++ {
			node := int64(rng.IntN(nodes) + 1)
			ident := strconv.FormatInt(node, 10)
			opCtx, cancel := context.WithTimeout(ctx, g.commandTimeout)
			var reserved int64
			err := h.record(lockcheck.Reserve, node, "", func() error {
				n, err := s.ReserveNode(opCtx, host, ident, etcdstore.WithLease(sess.Lease()))
				if err == nil {
					reserved = n.ReservationRevision
				}
				return err
			})
			if err == nil {
				value := fmt.Sprintf("%s-%d", host, i)
				h.record(lockcheck.Write, node, value, func() error {
					_, err := s.UpdateNode(opCtx, ident, etcdstore.Values{"extra": map[string]any{"v": value}},
						etcdstore.WithFence(host, reserved))
					return err
				})
				h.record(lockcheck.Release, node, "", func() error { return s.ReleaseNode(opCtx, host, ident) })
			}
			cancel()
			if sess.Err() != nil {
				break // lost: start a new session, as a real conductor would
			}
		}
		sess.Close(context.Background())
	}
	return nil
}
