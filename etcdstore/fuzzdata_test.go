package etcdstore

import (
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

var epochForFuzz = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

var nodeForFuzz = &pb.Node{
	Id: 1, Uuid: "1be26c0b-03f2-4d2e-ae87-c02d7f33c123", ProvisionState: proto.String("active"),
	Reservation: proto.String("a"), ProvisionUpdatedAt: timestamppb.New(epochForFuzz.Add(-time.Hour)),
}
