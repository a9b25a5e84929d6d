package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/sqlmove"
)

func init() { subcommands = append(subcommands, newImportCmd, newExportCmd) }

// moveFlags are the flags import and export share.
type moveFlags struct {
	url    string
	verify bool
	quiet  bool
}

func newImportCmd(g *globalFlags) *cobra.Command {
	var f moveFlags
	var o sqlmove.Options
	cmd := &cobra.Command{
		Use:   "import --from URL",
		Short: "Import every table of an Ironic 21.4 SQL database into the store",
		Long: `Reads every table of the Ironic 21.4 database at URL, as Ironic's [database] connection
spells it (mysql+pymysql://user:pass@host:3306/ironic?charset=utf8mb4,
postgresql+psycopg2://user:pass@host:5432/ironic, sqlite:////var/lib/ironic/ironic.sqlite),
and writes it into the store with its ids, uuids, timestamps and JSON documents as they are.

Every row is checked first; if any row would be refused (a port whose node is missing, a MAC
address two ports hold in any case, a bad uuid) or stored differently, the rows are listed and
nothing is written. The store must be empty, or hold only records of this same database (an
interrupted import: run the same command again to finish it); --merge adds to a store that holds
other records (a record with the same id and other content is replaced by the row).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Verify = f.verify
			return runMove(cmd, g, f, &o, sqlmove.Import)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.url, "from", "", "the Ironic database URL ([database] connection)")
	fl.BoolVar(&o.Merge, "merge", false, "import into a store that holds other records")
	fl.IntVar(&o.Batch, "batch", 500, "records handed to the store at once (it splits them into transactions within etcd's limits)")
	addMoveFlags(cmd, &f)
	cmd.MarkFlagRequired("from")
	return cmd
}

func newExportCmd(g *globalFlags) *cobra.Command {
	var f moveFlags
	var o sqlmove.Options
	cmd := &cobra.Command{
		Use:   "export --to URL",
		Short: "Export the store into an empty Ironic 21.4 SQL database",
		Long: `Writes every record of the store, read at one etcd revision, into the empty Ironic 21.4
database at URL, whose schema ironic-dbsync create_schema made, in one SQL transaction (all or
nothing), in the forms Ironic itself writes on that database. On MariaDB/MySQL timestamps keep
whole seconds, as under Ironic.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Verify = f.verify
			return runMove(cmd, g, f, &o, sqlmove.Export)
		},
	}
	cmd.Flags().StringVar(&f.url, "to", "", "the Ironic database URL ([database] connection)")
	addMoveFlags(cmd, &f)
	cmd.MarkFlagRequired("to")
	return cmd
}

func addMoveFlags(cmd *cobra.Command, f *moveFlags) {
	cmd.Flags().BoolVar(&f.verify, "verify", false, "compare every column of every row of both sides afterwards; a difference fails the command")
	cmd.Flags().BoolVarP(&f.quiet, "quiet", "q", false, "no progress on stderr")
}

type moveFunc func(context.Context, *etcdstore.Store, string, sqlmove.Options) (*sqlmove.Report, error)

func runMove(cmd *cobra.Command, g *globalFlags, f moveFlags, o *sqlmove.Options, move moveFunc) error {
	s, cli, err := g.store()
	if err != nil {
		return err
	}
	defer cli.Close()
	// etcd reachable? One request under --command-timeout, so a wrong
	// endpoint fails in seconds, before the database is read.
	pctx, cancel := g.ctx()
	_, _, err = s.RecordCounts(pctx, 0)
	cancel()
	if err != nil {
		return fmt.Errorf("etcd at %s: %w", strings.Join(g.endpoints, ","), err)
	}
	// The move itself runs until done or interrupted (Ctrl-C).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if !f.quiet {
		o.Progress = progressTo(os.Stderr)
	}
	rep, err := move(ctx, s, f.url, *o)
	if rep != nil {
		if g.output == "json" {
			if jerr := writeJSON(cmd.OutOrStdout(), rep); jerr != nil {
				return jerr
			}
		} else {
			printMoveReport(cmd.OutOrStdout(), rep)
		}
	}
	return err
}

// progressTo reports progress on w: a bar on a terminal, else a line
// every few seconds.
func progressTo(w *os.File) func(sqlmove.Step) {
	if term.IsTerminal(int(w.Fd())) {
		var bar *progressbar.ProgressBar
		return func(st sqlmove.Step) {
			if bar == nil {
				bar = progressbar.NewOptions(st.Total, progressbar.OptionSetWriter(w), progressbar.OptionShowCount(),
					progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish(), progressbar.OptionShowIts())
			}
			bar.Describe(st.Table)
			bar.Set(st.Done)
		}
	}
	var last time.Time
	return func(st sqlmove.Step) {
		if now := time.Now(); now.Sub(last) >= 5*time.Second || st.Done == st.Total {
			last = now
			fmt.Fprintf(w, "%s: %d/%d\n", st.Table, st.Done, st.Total)
		}
	}
}

func printMoveReport(w io.Writer, rep *sqlmove.Report) {
	if rep.Written+rep.Unchanged+rep.Replaced > 0 {
		fmt.Fprintf(w, "store records written %d, already there %d, replaced %d\n", rep.Written, rep.Unchanged, rep.Replaced)
	}
	if len(rep.Problems) > 0 {
		fmt.Fprintf(w, "%d rows cannot be imported (nothing was written):\n", len(rep.Problems))
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TABLE\tKEY\tREASON")
		for _, p := range rep.Problems {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Table, p.Key, p.Reason)
		}
		tw.Flush()
	}
	if rep.Verification != nil {
		rep.Verification.Print(w)
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "TABLE\tROWS\t")
	for _, t := range sqlmove.Tables {
		fmt.Fprintf(tw, "%s\t%d\t\n", t.Name, rep.Rows[t.Name])
	}
	tw.Flush()
}
