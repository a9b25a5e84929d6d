package etcdstore

import "errors"

// Where 21.4's SQL backend answers bad input with an exception that is no
// Ironic exception, the store still returns InvalidParameterValue
// (README, deliberate difference 17) and names the reference's exception
// in Param(ParamReferenceError), so that a client standing in for 21.4
// (the Python backend) can raise an exception of both kinds and code
// written for either catches it. Param(ParamMessage) is the message when
// the reference passes one instead of the exception's parameters.
const (
	ParamReferenceError = "reference_error"
	ParamMessage        = "message"

	// ReferenceValueError: 21.4 raises ValueError (an unknown filter).
	ReferenceValueError = "ValueError"
	// ReferenceDBError: 21.4 raises oslo.db's DBError (a JSON column of
	// the wrong type, a NOT NULL template step column missing).
	ReferenceDBError = "DBError"
	// ReferenceDBDataError: 21.4 on MySQL raises oslo.db's DBDataError
	// (data too long for its column: a JSON column over the store's cap,
	// a record over its limit), which Ironic's deploy handles for an
	// oversized config drive.
	ReferenceDBDataError = "DBDataError"
)

// sqlRefused marks a conversion error for a value that 21.4's column
// types or constraints refuse when it writes; kind is the exception it
// raises there (ReferenceDBError, ReferenceDBDataError).
type sqlRefused struct {
	error
	kind string
}

func (e sqlRefused) Unwrap() error { return e.error }

// withReference sets the reference's exception on e and returns e.
func (e *Error) withReference(kind string) *Error {
	e.Params[ParamReferenceError] = kind
	return e
}

// referenceOf is the reference exception err carries: from an sqlRefused
// inside it, or from the Error it is; "" for none.
func referenceOf(err error) string {
	var r sqlRefused
	if errors.As(err, &r) {
		return r.kind
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Params[ParamReferenceError]
	}
	return ""
}

// invalidLike is invalidParam carrying on the reference exception of
// cause, which it formats into the message.
func invalidLike(cause error, format string, args ...any) *Error {
	e := invalidParam(format, args...)
	if kind := referenceOf(cause); kind != "" {
		e.withReference(kind)
	}
	return e
}
