package api

import (
	"context"
	"errors"
	"net/http"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

// Errors on the wire: {"error": {"type": ..., "message": ..., "params": {...}}}.
// The type is the Ironic exception's class name for the store's errors,
// or one of the request error types (args.go) and these:
const (
	// errUnknownOutcome: the write may or may not have been applied (etcd
	// timed out or the connection broke mid-request). Read back first.
	errUnknownOutcome = "UnknownOutcome"
	// errUnavailable: etcd could not be reached; nothing was written.
	errUnavailable = "StoreUnavailable"
	errInternal    = "InternalError"
)

// ErrorBody is the JSON of an error answer.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what failed, in terms a client can act on.
type ErrorDetail struct {
	Type    string         `json:"type"`
	Message string         `json:"message"`
	Params  map[string]any `json:"params"`
}

// errorAnswer maps an error to its HTTP status and body.
func errorAnswer(err error) (int, ErrorDetail) {
	var re *requestError
	if errors.As(err, &re) {
		return re.Status, ErrorDetail{Type: re.Type, Message: re.Msg, Params: orEmpty(re.Params)}
	}
	if errors.Is(err, etcdstore.ErrUnknownOutcome) {
		return http.StatusServiceUnavailable, ErrorDetail{Type: errUnknownOutcome, Message: err.Error(),
			Params: map[string]any{"applied": "unknown"}}
	}
	var se *etcdstore.Error
	if errors.As(err, &se) {
		params := make(map[string]any, len(se.Params))
		for k, v := range se.Params {
			params[k] = v
		}
		return storeStatus(se), ErrorDetail{Type: se.Kind.Error(), Message: se.Error(), Params: params}
	}
	if unreachable(err) {
		return http.StatusServiceUnavailable, ErrorDetail{Type: errUnavailable, Message: err.Error(), Params: map[string]any{}}
	}
	return http.StatusInternalServerError, ErrorDetail{Type: errInternal, Message: err.Error(), Params: map[string]any{}}
}

// storeStatus is the HTTP status of a store exception: Ironic's family
// code, except the internal-family ones a client can act on.
func storeStatus(se *etcdstore.Error) int {
	switch {
	case errors.Is(se, etcdstore.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(se, etcdstore.ErrNotFound), errors.Is(se, etcdstore.ErrNodeTagNotFound):
		return http.StatusNotFound
	case errors.Is(se, etcdstore.ErrConflict), errors.Is(se, etcdstore.ErrConductorAlreadyRegistered),
		errors.Is(se, etcdstore.ErrConductorHardwareInterfacesAlreadyRegistered):
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

// unreachable reports an etcd or deadline error of a request that wrote
// nothing (reads; writes refused before sending).
func unreachable(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return true
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		if s, ok := status.FromError(e); ok && s.Code() != codes.Unknown {
			return true
		}
	}
	return false
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}
