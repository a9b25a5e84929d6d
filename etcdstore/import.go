package etcdstore

import (
	"bytes"
	"context"
	"fmt"
	"strconv"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Importing records as they are (ironic-etcd import, package sqlmove).
//
// The create methods choose ids and timestamps; an import must keep those
// of the database it reads. ImportRecords writes records with their own
// ids and every key the normal paths write beside them: unique-index keys,
// membership keys, a node's lock key (holder as found, bound to no lease:
// a held reservation stays held until released or taken over), and the
// table's id counter moved past the largest imported id. Each transaction
// compares that the record key is absent (or, replacing, unchanged since
// read), that the unique keys it claims are free and that the owners it
// needs (a port's node) exist, so the store's rules hold exactly as on a
// create. Conductors are imported without a lease: such a conductor is
// judged by online and updated_at as found (21.4's rules), so it is
// offline once its updated_at is older than the heartbeat timeout, until
// it registers again.
//
// Idempotent: a record whose key holds exactly the bytes (and, for a node,
// the lock holder) the import would write is left alone and counted
// Unchanged, so an interrupted import re-run finishes without duplicates.

// ImportOption configures ImportRecords.
type ImportOption func(*importOptions)

type importOptions struct {
	replace   bool
	checkOnly bool
}

// ImportReplace makes ImportRecords replace a record whose id exists with
// other content (import --merge: the imported row wins), moving its index
// and membership keys as update does. Without it such a record is an
// ImportProblem.
func ImportReplace() ImportOption { return func(o *importOptions) { o.replace = true } }

// ImportCheckOnly makes ImportRecords read and judge every record and
// write nothing: the problems it returns are those a write would meet.
func ImportCheckOnly() ImportOption { return func(o *importOptions) { o.checkOnly = true } }

// ImportProblem is one record ImportRecords refuses, and why.
type ImportProblem struct {
	Table string
	ID    int64
	Err   error // a typed store error (errors.Is with the sentinels)
	// OwnerTable and OwnerID name the missing record this one points at
	// when that is the problem (a port whose node does not exist).
	OwnerTable string
	OwnerID    int64
}

func (p ImportProblem) String() string { return fmt.Sprintf("%s %d: %v", p.Table, p.ID, p.Err) }

// ImportResult counts what ImportRecords did (or, checking, would do).
type ImportResult struct {
	Written   int // records written new
	Replaced  int // records replaced (ImportReplace)
	Unchanged int // records already stored exactly so
	Txns      int // write transactions committed
	Problems  []ImportProblem
}

// ImportTables are the tables ImportRecords takes, in an order in which
// every table comes after those its records must find (ports after nodes
// and portgroups): import them in this order.
func ImportTables() []string {
	return []string{chassisTable.name, conductorsTable.name, hardwareInterfacesTable.name, nodesTable.name,
		allocationsTable.name, portgroupsTable.name, portsTable.name, volumeConnectorsTable.name,
		volumeTargetsTable.name, biosSettingsTable.name, deployTemplatesTable.name, nodeHistoryTable.name,
		nodeInventoryTable.name}
}

// ImportRecords writes recs, records of one table (the message type of
// that table: *pb.Node with its tags, traits and reservation,
// *pb.NodeBIOSSettings, *pb.DeployTemplate with its steps, ...), with their
// ids and timestamps as given. Every record is first checked as a create
// checks it (column sizes, UTF-8, JSON documents, uuids in canonical form,
// MAC addresses in lower case, names) and against the store (its id, its
// unique values, its owners) and against the other records of the call;
// when any record has a problem nothing is written and the problems are
// returned with ErrInvalidParameterValue (the problems' own errors are the
// typed errors a create would give). Then the records are written in
// transactions within the store's max-txn-ops and 1 MiB each; a write that
// meets a concurrent change re-judges and retries. An error after some
// transactions committed leaves them written: re-running the call finishes
// the rest (what is already stored is Unchanged).
//
// No 21.4 counterpart (an import tool's write path; 21.4's creates
// assign ids). Round trips: one per maxTxnOps keys read to judge
// (records, their index keys and owners; four in flight), two per id
// counter to move, then one per write transaction (four in flight; plus
// one per lost race).
func (s *Store) ImportRecords(ctx context.Context, table string, recs []proto.Message, opts ...ImportOption) (ImportResult, error) {
	var o importOptions
	for _, opt := range opts {
		opt(&o)
	}
	var res ImportResult
	t := tablesByName[table]
	if t == nil {
		return res, invalidParam("ImportRecords: unknown table %q", table)
	}
	plans := make([]*importPlan, 0, len(recs))
	for _, m := range recs {
		p, err := s.planImport(t, m)
		if err != nil {
			res.Problems = append(res.Problems, ImportProblem{Table: table, ID: idOf(m), Err: err})
			continue
		}
		plans = append(plans, p)
	}
	dups, plans := duplicatesAmong(t, plans)
	res.Problems = append(res.Problems, dups...)
	if err := s.readImportState(ctx, t, plans); err != nil {
		return res, err
	}
	for _, p := range plans {
		if pr := s.judge(t, p, o.replace); pr != nil {
			res.Problems = append(res.Problems, *pr)
		}
	}
	if len(res.Problems) > 0 {
		return res, invalidParam("%d %s records cannot be imported (first: %s)", len(res.Problems), t.noun, res.Problems[0])
	}
	if o.checkOnly {
		countPlans(plans, &res)
		return res, nil
	}
	return res, s.writeImport(ctx, t, plans, o.replace, &res)
}

func idOf(m proto.Message) int64 {
	if m == nil {
		return 0
	}
	if fd := m.ProtoReflect().Descriptor().Fields().ByName("id"); fd != nil {
		return m.ProtoReflect().Get(fd).Int()
	}
	return 0
}

// importPlan is one record to import and the store's state for it.
type importPlan struct {
	rec     protoreflect.Message
	data    []byte // the record's stored form
	holder  string // a node's lock holder ("": unreserved)
	uniques []indexKey
	members []memberKey

	// As read from the store.
	cur        *stored // nil: absent
	curData    []byte
	uniqueHeld []string // per unique key: the id text it holds ("": free)
	ownerFound []bool   // per member key
	action     importAction
}

type importAction int

const (
	importNew importAction = iota
	importSame
	importReplace
)

// planImport checks a record as create would and computes its keys.
func (s *Store) planImport(t *table, m proto.Message) (*importPlan, error) {
	if m == nil || m.ProtoReflect().Descriptor() != t.newMsg().ProtoReflect().Descriptor() {
		return nil, invalidParam("a %T is not a %s record", m, t.noun)
	}
	rec := proto.Clone(m).ProtoReflect()
	if err := checkImported(t, rec); err != nil {
		return nil, err
	}
	data, err := encode(t, rec)
	if err != nil {
		return nil, err
	}
	p := &importPlan{rec: rec, data: data, uniques: s.uniqueKeys(t, rec), members: s.memberKeys(t, rec)}
	if t.locked {
		p.holder = nodeOf(rec).GetReservation()
	}
	return p, nil
}

// duplicatesAmong finds records of one call that share an id or a unique
// value (folded, as the index keys are) with an earlier one, and returns
// their problems and the other plans.
func duplicatesAmong(t *table, plans []*importPlan) ([]ImportProblem, []*importPlan) {
	var out []ImportProblem
	ids := map[int64]bool{}
	held := map[string]int64{}
	kept := plans[:0:0]
next:
	for _, p := range plans {
		id := recordID(p.rec)
		if ids[id] {
			out = append(out, ImportProblem{Table: t.name, ID: id, Err: t.alreadyExists(p.rec)})
			continue
		}
		ids[id] = true
		for _, k := range p.uniques {
			if other, ok := held[k.key]; ok {
				out = append(out, ImportProblem{Table: t.name, ID: id,
					Err: fmt.Errorf("%w (as record %d)", k.u.clash(p.rec), other)})
				continue next
			}
		}
		for _, k := range p.uniques {
			held[k.key] = id
		}
		kept = append(kept, p)
	}
	return out, kept
}

// judge decides what to do with a plan given the state read, or names
// its problem.
func (s *Store) judge(t *table, p *importPlan, replace bool) *ImportProblem {
	id := recordID(p.rec)
	problem := func(err error) *ImportProblem { return &ImportProblem{Table: t.name, ID: id, Err: err} }
	idText := strconv.FormatInt(id, 10)
	var curKeys map[string]bool
	switch {
	case p.cur == nil:
		p.action = importNew
	case bytes.Equal(p.curData, p.data) && (!t.locked || nodeOf(p.cur.rec).GetReservation() == p.holder):
		p.action = importSame
		return nil
	case !replace:
		return problem(fmt.Errorf("%w: record %d exists with other content (import --merge replaces it)", t.alreadyExists(p.rec), id))
	default:
		p.action = importReplace
		curKeys = keySet(s.uniqueKeys(t, p.cur.rec))
	}
	for i, k := range p.uniques {
		if held := p.uniqueHeld[i]; held != "" && held != idText || held == idText && p.cur == nil {
			return problem(fmt.Errorf("%w (held by record %s)", k.u.clash(p.rec), held))
		} else if held == "" && curKeys[k.key] {
			return problem(errCorrupt([]byte(k.key), "the index key of record %d is missing", id))
		}
	}
	for i, mk := range p.members {
		if mk.m.mustExist && !p.ownerFound[i] {
			pr := problem(mk.m.owner.notFound(strconv.FormatInt(mk.ownerID, 10)))
			pr.OwnerTable, pr.OwnerID = mk.m.owner.name, mk.ownerID
			return pr
		}
	}
	return nil
}

func countPlans(plans []*importPlan, res *ImportResult) {
	for _, p := range plans {
		switch p.action {
		case importNew:
			res.Written++
		case importSame:
			res.Unchanged++
		case importReplace:
			res.Replaced++
		}
	}
}
