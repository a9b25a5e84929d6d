package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

// conn is what W2, W4 and W5 call: the store in-process, or the same
// methods through the HTTP API (--via-api).
type conn interface {
	// enroll creates a node, its two ports and its tags (W1).
	enroll(ctx context.Context, spec NodeSpec) error
	// walk runs W3's get_node_list in pages of 1,000 and returns the count.
	walk(ctx context.Context) (int, error)
	// filter runs W2's periodic query and returns the row count.
	filter(ctx context.Context) (int, error)
	// lookup runs W4's lookup number kind (0-3) of node spec.
	lookup(ctx context.Context, kind int, spec NodeSpec) error
	// reserve locks node for tag: its fencing revision, or ErrNodeLocked.
	reserve(ctx context.Context, tag, node string) (int64, error)
	// setPower writes the node's power_state as tag's lock holder.
	setPower(ctx context.Context, tag, node string, fence int64, state string) error
	release(ctx context.Context, tag, node string) error
}

// storeConn calls a Store.
type storeConn struct{ s *etcdstore.Store }

func (c storeConn) enroll(ctx context.Context, spec NodeSpec) error {
	node, err := c.s.CreateNode(ctx, spec.Values)
	if err != nil {
		return err
	}
	for _, m := range spec.MACs {
		if _, err := c.s.CreatePort(ctx, spec.portValues(node.Id, m)); err != nil {
			return fmt.Errorf("port %s: %w", m, err)
		}
	}
	if _, err = c.s.SetNodeTags(ctx, node.Id, spec.Tags); err != nil || len(spec.Traits) == 0 {
		return err
	}
	_, err = c.s.SetNodeTraits(ctx, node.Id, spec.Traits, "1.0")
	return err
}

func (c storeConn) walk(ctx context.Context) (int, error) {
	opts := etcdstore.ListOptions{Limit: etcdstore.Limit(1000)}
	for total := 0; ; {
		page, err := c.s.GetNodeList(ctx, etcdstore.NodeFilter{}, opts)
		if err != nil {
			return total, err
		}
		total += len(page)
		if len(page) < 1000 {
			return total, nil
		}
		opts.Marker = page[len(page)-1]
	}
}

func (c storeConn) filter(ctx context.Context) (int, error) {
	rows, err := c.s.GetNodeinfoList(ctx, w2Columns, w2Filter(), etcdstore.ListOptions{})
	return len(rows), err
}

func (c storeConn) lookup(ctx context.Context, kind int, spec NodeSpec) error {
	var err error
	switch kind {
	case 0:
		_, err = c.s.GetNodeByUUID(ctx, spec.UUID)
	case 1:
		_, err = c.s.GetNodeByName(ctx, spec.Name)
	case 2:
		_, err = c.s.GetPortByAddress(ctx, spec.MACs[0])
	default:
		_, err = c.s.GetNodeByPortAddresses(ctx, spec.MACs[:])
	}
	return err
}

func (c storeConn) reserve(ctx context.Context, tag, node string) (int64, error) {
	n, err := c.s.ReserveNode(ctx, tag, node)
	if err != nil {
		return 0, err
	}
	return n.ReservationRevision, nil
}

func (c storeConn) setPower(ctx context.Context, tag, node string, fence int64, state string) error {
	_, err := c.s.UpdateNode(ctx, node, etcdstore.Values{"power_state": state}, etcdstore.WithFence(tag, fence))
	return err
}

func (c storeConn) release(ctx context.Context, tag, node string) error {
	return c.s.ReleaseNode(ctx, tag, node)
}

// apiConn calls the HTTP API, as a Python client would: one POST per call,
// keep-alive connections. The API has no fenced update (the reference has
// none), so setPower is a plain update_node.
type apiConn struct {
	url string
	hc  *http.Client
}

func newAPIConn(url string) apiConn {
	return apiConn{url: url, hc: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}}
}

// call posts args to /v1/method and decodes the answer into out (if set).
func (c apiConn) call(ctx context.Context, method string, args, out any) error {
	body, err := json.Marshal(args)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url+"/v1/"+method, bytes.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error struct{ Type, Message string } `json:"error"`
		}
		json.Unmarshal(raw, &e)
		if e.Error.Type == "NodeLocked" {
			return fmt.Errorf("%s: %w", e.Error.Message, etcdstore.ErrNodeLocked)
		}
		return fmt.Errorf("%s: %d %s", method, resp.StatusCode, raw)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(raw, out)
}

type apiArgs = map[string]any

func (c apiConn) enroll(ctx context.Context, spec NodeSpec) error {
	var node struct {
		ID int64 `json:"id"`
	}
	if err := c.call(ctx, "create_node", apiArgs{"values": spec.Values}, &node); err != nil {
		return err
	}
	for _, m := range spec.MACs {
		if err := c.call(ctx, "create_port", apiArgs{"values": spec.portValues(node.ID, m)}, nil); err != nil {
			return err
		}
	}
	if err := c.call(ctx, "set_node_tags", apiArgs{"node_id": node.ID, "tags": spec.Tags}, nil); err != nil || len(spec.Traits) == 0 {
		return err
	}
	return c.call(ctx, "set_node_traits", apiArgs{"node_id": node.ID, "traits": spec.Traits, "version": "1.0"}, nil)
}

func (c apiConn) walk(ctx context.Context) (int, error) {
	args := apiArgs{"limit": 1000}
	for total := 0; ; {
		var page []json.RawMessage
		if err := c.call(ctx, "get_node_list", args, &page); err != nil {
			return total, err
		}
		total += len(page)
		if len(page) < 1000 {
			return total, nil
		}
		args["marker"] = page[len(page)-1] // the last record, as returned
	}
}

func (c apiConn) filter(ctx context.Context) (int, error) {
	var rows []json.RawMessage
	err := c.call(ctx, "get_nodeinfo_list", apiArgs{"columns": w2Columns,
		"filters": apiArgs{"provision_state": "wait call-back", "maintenance": false, "reserved": false}}, &rows)
	return len(rows), err
}

func (c apiConn) lookup(ctx context.Context, kind int, spec NodeSpec) error {
	switch kind {
	case 0:
		return c.call(ctx, "get_node_by_uuid", apiArgs{"node_uuid": spec.UUID}, nil)
	case 1:
		return c.call(ctx, "get_node_by_name", apiArgs{"node_name": spec.Name}, nil)
	case 2:
		return c.call(ctx, "get_port_by_address", apiArgs{"address": spec.MACs[0]}, nil)
	default:
		return c.call(ctx, "get_node_by_port_addresses", apiArgs{"addresses": spec.MACs[:]}, nil)
	}
}

func (c apiConn) reserve(ctx context.Context, tag, node string) (int64, error) {
	var n struct {
		Revision int64 `json:"reservation_revision"`
	}
	err := c.call(ctx, "reserve_node", apiArgs{"tag": tag, "node_id": node}, &n)
	return n.Revision, err
}

func (c apiConn) setPower(ctx context.Context, _, node string, _ int64, state string) error {
	return c.call(ctx, "update_node", apiArgs{"node_id": node, "values": apiArgs{"power_state": state}}, nil)
}

func (c apiConn) release(ctx context.Context, tag, node string) error {
	return c.call(ctx, "release_node", apiArgs{"tag": tag, "node_id": node}, nil)
}
