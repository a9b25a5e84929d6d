package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

func init() { subcommands = append(subcommands, newReindexCmd) }

// newReindexCmd is "reindex": Store.Reindex, once, on a store written
// before the case rules (README, deliberate differences 16).
func newReindexCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "reindex",
		Short: "Fold the unique-index keys and respell uuids of a store written by an older version",
		Long: "Rewrites, one transaction per record, the unique-index keys that are not case-folded and the uuids " +
			"not in canonical form, as this version needs them. Run it once before this version writes to a store " +
			"written by an older one; records whose values fold alike are listed and left alone. " +
			"A large store may need a longer --command-timeout.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withStore(g, func(ctx context.Context, s *etcdstore.Store) error {
				rep, err := s.Reindex(ctx)
				if err != nil {
					return err
				}
				if g.output == "json" {
					return writeJSON(cmd.OutOrStdout(), rep)
				}
				w := cmd.OutOrStdout()
				fmt.Fprintf(w, "records rewritten %d, index keys removed %d, added %d\n", rep.Records, rep.Removed, rep.Added)
				for _, c := range rep.Clashes {
					fmt.Fprintln(w, "clash (rename all but one, then run again):", c)
				}
				if rep.Changed > 0 {
					fmt.Fprintf(w, "%d records changed while being re-indexed: run again\n", rep.Changed)
				}
				if len(rep.Clashes) > 0 || rep.Changed > 0 {
					return fmt.Errorf("re-index incomplete")
				}
				return nil
			})
		},
	}
}
