package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/ironic-etcd/ironic-etcd/api"
)

// With --testing, X-Ironic-Etcd-Heartbeat-Timeout sets Ironic's
// [conductor]heartbeat_timeout for one request: 21.4 reads its caller's
// configuration at every call, and Ironic's
// test_get_active_hardware_type_dict_with_old_conductor changes it from 60
// to 120 s between two calls.
func TestTestingModeHeartbeatHeader(t *testing.T) {
	s := startAPI(t, api.Config{Testing: true})
	t0 := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	c := s.ok(t, "register_conductor", obj{"values": obj{"hostname": "old-host"}}, api.NowHeader, t0.Format(time.RFC3339Nano)).Obj(t)
	s.ok(t, "register_conductor_hardware_interfaces", obj{"conductor_id": c["id"], "interfaces": []obj{
		{"hardware_type": "ht", "interface_type": "deploy", "interface_name": "direct", "default": true}}})
	later := t0.Add(90 * time.Second).Format(time.RFC3339Nano)
	check := func(header []string, alive bool) {
		t.Helper()
		hdr := append([]string{api.NowHeader, later}, header...)
		active := s.ok(t, "get_active_hardware_type_dict", obj{}, hdr...).Obj(t)
		online := s.ok(t, "get_online_conductors", obj{}, hdr...).JSON(t).([]any)
		offline := s.ok(t, "get_offline_conductors", obj{}, hdr...).JSON(t).([]any)
		if (len(active) == 1) != alive || (len(online) == 1) != alive || (len(offline) == 1) == alive {
			t.Fatalf("header %v, alive %v: active %v, online %v, offline %v", header, alive, active, online, offline)
		}
	}
	check(nil, false) // 90 s after its heartbeat, with the API's 60 s
	check([]string{api.HeartbeatHeader, "120"}, true)
	check(nil, false) // the next request is back on the API's timeout
	check([]string{api.HeartbeatHeader, "89.5"}, false)
	for _, bad := range []string{"0", "-1", "abc", "NaN", "Inf", "1e10"} {
		if a := s.call(t, "get_online_conductors", obj{}, api.HeartbeatHeader, bad); a.Status != http.StatusBadRequest || a.ErrorType() != "MalformedRequest" {
			t.Errorf("header %q: %d %s", bad, a.Status, a.Body)
		}
	}
	prod := startAPI(t, api.Config{})
	if a := prod.call(t, "get_online_conductors", obj{}, api.HeartbeatHeader, "120"); a.Status != http.StatusForbidden || a.ErrorType() != "TestingModeOnly" {
		t.Fatalf("without --testing: %d %s", a.Status, a.Body)
	}
}
