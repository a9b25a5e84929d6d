package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ironic-etcd/ironic-etcd/internal/render"
)

func init() { subcommands = append(subcommands, newDecodeCmd) }

func newDecodeCmd(g *globalFlags) *cobra.Command {
	var table, key string
	cmd := &cobra.Command{
		Use:   "decode [value]",
		Short: "Show a stored value, as etcdctl prints it, as JSON",
		Long: `Reads a record value as etcdctl prints it — the raw bytes of
"etcdctl get --print-value-only KEY", or the JSON of "etcdctl get -w json KEY"
(values in base64) — from the argument or standard input, and prints the
record as JSON. The record type comes from --type, else from --key (or the
key in etcdctl's JSON), else it is guessed: the first type, nodes first, as
which the bytes decode with no unknown field and valid JSON columns.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var raw []byte
			var err error
			if len(args) == 1 {
				raw = []byte(args[0])
			} else if raw, err = io.ReadAll(cmd.InOrStdin()); err != nil {
				return err
			}
			value, fromKey := etcdctlValue(raw)
			if key == "" {
				key = fromKey
			}
			if table == "" && key != "" {
				t, ok := render.TableOfKey(g.prefix, key)
				if !ok {
					return fmt.Errorf("%q is not a record key under %s", key, g.prefix)
				}
				table = t
			}
			var rec render.Record
			if table != "" {
				m, err := render.Decode(table, value)
				if err != nil {
					return err
				}
				rec = render.Of(m)
			} else {
				_, m, err := render.Guess(value)
				if err != nil {
					return err
				}
				rec = render.Of(m)
			}
			return writeJSON(cmd.OutOrStdout(), rec)
		},
	}
	cmd.Flags().StringVar(&table, "type", "", "record table: "+strings.Join(render.TableNames(), ", "))
	cmd.Flags().StringVar(&key, "key", "", "the key the value was read from")
	return cmd
}

// etcdctlValue extracts the value from etcdctl's JSON output ("-w json"),
// with its key; anything else is taken as the raw value, less the one
// newline etcdctl appends.
func etcdctlValue(raw []byte) (value []byte, key string) {
	var out struct {
		Kvs []struct {
			Key   string `json:"key"`
			Value string `json:"value"`
		} `json:"kvs"`
	}
	if json.Unmarshal(bytes.TrimSpace(raw), &out) == nil && len(out.Kvs) == 1 {
		v, err1 := base64.StdEncoding.DecodeString(out.Kvs[0].Value)
		k, err2 := base64.StdEncoding.DecodeString(out.Kvs[0].Key)
		if err1 == nil && err2 == nil {
			return v, string(k)
		}
	}
	return bytes.TrimSuffix(raw, []byte("\n")), ""
}
