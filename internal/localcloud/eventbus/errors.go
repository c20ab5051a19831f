package eventbus

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/hydrant-dev/hydrant/internal/eventpattern"
)

// apiError is an EventBridge error as the service returns it: an HTTP status and a JSON body
// {"__type": code, "message": text}, which the SDK turns into its typed errors.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func validationError(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "ValidationException", Message: fmt.Sprintf(format, args...)}
}

// constraintErrors is AWS's answer to request members that break their constraints: "1
// validation error detected: X" or "N validation errors detected: X; Y", nil when none did.
func constraintErrors(failed []string) *apiError {
	switch len(failed) {
	case 0:
		return nil
	case 1:
		return validationError("1 validation error detected: %s", failed[0])
	}
	return validationError("%d validation errors detected: %s", len(failed), strings.Join(failed, "; "))
}

func notFound(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "ResourceNotFoundException", Message: fmt.Sprintf(format, args...)}
}

func alreadyExists(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "ResourceAlreadyExistsException", Message: fmt.Sprintf(format, args...)}
}

func limitExceeded(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "LimitExceededException", Message: fmt.Sprintf(format, args...)}
}

// invalidPattern answers InvalidEventPatternException. An *eventpattern.Error already reads
// "Event pattern is not valid. Reason: ...", AWS's whole message, so it is used as it is;
// other errors get that prefix once.
func invalidPattern(err error) *apiError {
	msg := "Event pattern is not valid. Reason: " + err.Error()
	if perr := (*eventpattern.Error)(nil); errors.As(err, &perr) {
		msg = perr.Error()
	}
	return &apiError{Status: http.StatusBadRequest, Code: "InvalidEventPatternException", Message: msg}
}

func internalError(err error) *apiError {
	return &apiError{Status: http.StatusInternalServerError, Code: "InternalException", Message: err.Error()}
}
