package sqlmove

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// Verification: both sides as rows of the same column map, compared
// column by column in the forms Ironic reads back.

// TableCount is one line of the verification table.
type TableCount struct {
	Table     string
	SQLRows   int
	StoreRows int
	Differing int
}

// Difference is one column of one row that differs (Column "" when the
// row is on one side only).
type Difference struct {
	Table, Key, Column string
	SQL, Store         string
}

func (d Difference) String() string {
	if d.Column == "" {
		return fmt.Sprintf("%s %s: SQL %s, store %s", d.Table, d.Key, d.SQL, d.Store)
	}
	return fmt.Sprintf("%s %s column %s: SQL %s, store %s", d.Table, d.Key, d.Column, d.SQL, d.Store)
}

// Verification is the outcome of --verify.
type Verification struct {
	Tables      []TableCount
	Differences []Difference
}

// OK reports whether both sides are equal.
func (v *Verification) OK() bool { return len(v.Differences) == 0 }

// Print writes the table | SQL rows | store rows | differing rows table,
// then every difference.
func (v *Verification) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "TABLE\tSQL ROWS\tSTORE ROWS\tDIFFERING ROWS\t")
	for _, c := range v.Tables {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t\n", c.Table, c.SQLRows, c.StoreRows, c.Differing)
	}
	tw.Flush()
	for _, d := range v.Differences {
		fmt.Fprintln(w, "differs:", d)
	}
}

// compareOptions say how to compare.
type compareOptions struct {
	// seconds: timestamps compare to the second (MariaDB's DATETIME).
	seconds bool
	// sqlKeysOnly: rows only in the store are counted, not differences
	// (a merge into a store that held other records).
	sqlKeysOnly bool
}

// compare compares the rows of both sides, table by table.
func compare(sqlData, storeData Data, o compareOptions) *Verification {
	v := &Verification{}
	for _, t := range Tables {
		c := TableCount{Table: t.Name, SQLRows: len(sqlData[t.Name]), StoreRows: len(storeData[t.Name])}
		store := map[string]Row{}
		for _, row := range storeData[t.Name] {
			store[keyOf(t, row)] = row
		}
		seen := map[string]bool{}
		for _, row := range sqlData[t.Name] {
			key := keyOf(t, row)
			seen[key] = true
			other, ok := store[key]
			if !ok {
				c.Differing++
				v.Differences = append(v.Differences, Difference{Table: t.Name, Key: key, SQL: "present", Store: "missing"})
				continue
			}
			differs := false
			for i, fd := range t.fields {
				a, b := canon(fd, row[i], o.seconds), canon(fd, other[i], o.seconds)
				if a != b {
					differs = true
					v.Differences = append(v.Differences, Difference{t.Name, key, t.Columns[i], a, b})
				}
			}
			if differs {
				c.Differing++
			}
		}
		if !o.sqlKeysOnly {
			for _, row := range storeData[t.Name] {
				if key := keyOf(t, row); !seen[key] {
					c.Differing++
					v.Differences = append(v.Differences, Difference{Table: t.Name, Key: key, SQL: "missing", Store: "present"})
				}
			}
		}
		v.Tables = append(v.Tables, c)
	}
	return v
}

// canon renders a value as Ironic reads it back, for comparison: JSON
// without insignificant whitespace (numbers as written, key order kept),
// NULL JSON as the empty document Ironic writes, timestamps in UTC with
// microseconds.
func canon(fd protoreflect.FieldDescriptor, v any, seconds bool) string {
	k := kindOf(fd)
	if v == nil {
		if k == kindJSON {
			return emptyJSON(fd)
		}
		return "NULL"
	}
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		x = x.UTC()
		if seconds {
			return x.Truncate(time.Second).Format("2006-01-02 15:04:05")
		}
		return x.Format("2006-01-02 15:04:05.000000")
	case json.RawMessage:
		var buf bytes.Buffer
		if err := json.Compact(&buf, x); err != nil {
			return "invalid JSON " + strconv.Quote(string(x))
		}
		if buf.String() == "null" {
			return emptyJSON(fd)
		}
		return buf.String()
	}
	return fmt.Sprintf("%T %v", v, v)
}
