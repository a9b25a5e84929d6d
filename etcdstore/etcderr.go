package etcdstore

import (
	"errors"
	"fmt"
	"strings"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// etcdError is the one place etcd client errors pass through. A write
// whose request may have reached the cluster before the error (a deadline,
// a cancellation, a lost connection) is reported as ErrUnknownOutcome: it
// may have been applied. Errors etcd returns before applying anything
// (a request too large, too many operations, auth, a lease not
// found) are definite; a
// request larger than etcd or its client accepts is the caller's:
// InvalidParameterValue, read or write.
func etcdError(err error, write bool) error {
	if err == nil {
		return nil
	}
	if tooLarge(err) {
		return invalidParam("the request is larger than etcd accepts (%v)", err)
	}
	if errors.Is(err, rpctypes.ErrLeaseNotFound) {
		// etcd checks the lease before applying anything: definite.
		return newError(ErrLeaseNotFound, "the lease of this write expired or was revoked; nothing was written")
	}
	if !write || definite(err) {
		return fmt.Errorf("etcd: %w", err)
	}
	return &unknownOutcome{err: err}
}

func definite(err error) bool {
	switch {
	case errors.Is(err, rpctypes.ErrRequestTooLarge), errors.Is(err, rpctypes.ErrTooManyOps),
		errors.Is(err, rpctypes.ErrPermissionDenied), errors.Is(err, rpctypes.ErrUserEmpty),
		errors.Is(err, rpctypes.ErrAuthFailed), errors.Is(err, rpctypes.ErrInvalidAuthToken),
		errors.Is(err, rpctypes.ErrDuplicateKey), errors.Is(err, rpctypes.ErrKeyNotFound):
		return true
	}
	if s, ok := status.FromError(err); ok {
		switch s.Code() {
		case codes.InvalidArgument, codes.PermissionDenied, codes.Unauthenticated,
			codes.ResourceExhausted, codes.FailedPrecondition, codes.OutOfRange:
			return true
		}
	}
	return false
}

// etcdRequestLimit is etcd's default --max-request-bytes (1.5 MiB): the
// store refuses up front arguments that cannot fit in a request.
const etcdRequestLimit = 3 << 19

// tooLarge recognises a request refused for its size: by etcd
// (ErrRequestTooLarge) or by gRPC on either side ("message larger than
// max", ResourceExhausted). Other ResourceExhausted errors (no space, too
// many requests) are the cluster's, not the request's.
func tooLarge(err error) bool {
	if errors.Is(err, rpctypes.ErrRequestTooLarge) || errors.Is(err, rpctypes.ErrGRPCRequestTooLarge) {
		return true
	}
	s, ok := status.FromError(err)
	return ok && s.Code() == codes.ResourceExhausted && strings.Contains(s.Message(), "larger than max")
}

// unknownOutcome matches ErrUnknownOutcome and still unwraps to the etcd
// or context error underneath.
type unknownOutcome struct{ err error }

func (u *unknownOutcome) Error() string { return ErrUnknownOutcome.Error() + ": " + u.err.Error() }
func (u *unknownOutcome) Unwrap() []error {
	return []error{ErrUnknownOutcome, u.err}
}
