package eventbus

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
)

// API destinations are created as in AWS, with CreateConnection (the authorization) and
// CreateApiDestination (endpoint and method); a target names the destination's ARN. The
// connection's credentials stay in memory and are never logged.

var connectionNameRE = regexp.MustCompile(`^[\.\-_A-Za-z0-9]{1,64}$`)

type connection struct {
	arn, name, authType string
	auth                connectionAuth
	created             time.Time
}

func (c *connection) applyHeaders(h http.Header) {
	switch {
	case c.auth.APIKeyAuthParameters != nil:
		h.Set(c.auth.APIKeyAuthParameters.APIKeyName, c.auth.APIKeyAuthParameters.APIKeyValue)
	case c.auth.BasicAuthParameters != nil:
		p := c.auth.BasicAuthParameters
		h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(p.Username+":"+p.Password)))
	}
	if ip := c.auth.InvocationHTTPParameters; ip != nil {
		for _, kv := range ip.HeaderParameters {
			h.Set(kv.Key, kv.Value)
		}
	}
}

func (c *connection) applyQuery(q url.Values) {
	if ip := c.auth.InvocationHTTPParameters; ip != nil {
		for _, kv := range ip.QueryStringParameters {
			q.Set(kv.Key, kv.Value)
		}
	}
}

type apiDestination struct {
	arn, name, description string
	connectionArn          string
	endpoint, method       string
	rate                   int
	created                time.Time
}

func (s *Server) createConnection(_ context.Context, body []byte) (any, *apiError) {
	var in createConnectionInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	// Constraint failures are reported together, as AWS does: "3 validation errors detected:
	// ...; ...; ..." (LocalStack test_events.py::TestEvents::test_create_connection_validations,
	// recorded 08-01-2025).
	var failed []string
	if !nameCharsRE.MatchString(in.Name) {
		failed = append(failed, fmt.Sprintf("Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+", in.Name))
	}
	if len(in.Name) > 64 {
		failed = append(failed, fmt.Sprintf("Value '%s' at 'name' failed to satisfy constraint: Member must have length less than or equal to 64", in.Name))
	}
	switch in.AuthorizationType {
	case "API_KEY", "BASIC", "OAUTH_CLIENT_CREDENTIALS":
	default:
		failed = append(failed, fmt.Sprintf("Value '%s' at 'authorizationType' failed to satisfy constraint: Member must satisfy enum value set: [BASIC, OAUTH_CLIENT_CREDENTIALS, API_KEY]", in.AuthorizationType))
	}
	if aerr := constraintErrors(failed); aerr != nil {
		return nil, aerr
	}
	if in.AuthParameters == nil {
		return nil, validationError("AuthParameters must be specified.")
	}
	switch in.AuthorizationType {
	case "API_KEY":
		if in.AuthParameters.APIKeyAuthParameters == nil {
			return nil, validationError("ApiKeyAuthParameters must be specified for AuthorizationType API_KEY.")
		}
	case "BASIC":
		if in.AuthParameters.BasicAuthParameters == nil {
			return nil, validationError("BasicAuthParameters must be specified for AuthorizationType BASIC.")
		}
	case "OAUTH_CLIENT_CREDENTIALS":
		return nil, validationError("AuthorizationType OAUTH_CLIENT_CREDENTIALS is not supported by the local endpoint; use API_KEY or BASIC.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	arn := s.arn("connection/" + in.Name + "/" + uuid.NewString())
	for _, c := range s.connections {
		if c.name == in.Name {
			return nil, alreadyExists("Connection %s already exists.", in.Name)
		}
	}
	c := &connection{arn: arn, name: in.Name, authType: in.AuthorizationType, auth: *in.AuthParameters, created: time.Now().UTC()}
	s.connections[arn] = c
	return connectionOutput{ConnectionArn: arn, ConnectionState: "AUTHORIZED", CreationTime: newEpoch(c.created), LastModifiedTime: newEpoch(c.created)}, nil
}

func httpMethod(m string) bool {
	switch m {
	case "POST", "GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE":
		return true
	}
	return false
}

func (s *Server) createAPIDestination(_ context.Context, body []byte) (any, *apiError) {
	var in createAPIDestinationInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if !connectionNameRE.MatchString(in.Name) {
		return nil, validationError("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+", in.Name)
	}
	if !httpMethod(in.HTTPMethod) {
		return nil, validationError("1 validation error detected: Value '%s' at 'httpMethod' failed to satisfy constraint: Member must satisfy enum value set: [POST, GET, HEAD, OPTIONS, PUT, PATCH, DELETE]", in.HTTPMethod)
	}
	u, err := url.Parse(in.InvocationEndpoint)
	// AWS requires HTTPS; the local endpoint also accepts http:// so tests can use httptest.
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, validationError("Parameter InvocationEndpoint is not valid: %q is not an http(s) URL.", in.InvocationEndpoint)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.connections[in.ConnectionArn]; !ok {
		return nil, notFound("Connection %s does not exist.", in.ConnectionArn)
	}
	for _, d := range s.destinations {
		if d.name == in.Name {
			return nil, alreadyExists("An api-destination '%s' already exists.", in.Name)
		}
	}
	d := &apiDestination{
		arn: s.arn("api-destination/" + in.Name + "/" + uuid.NewString()), name: in.Name, description: in.Description,
		connectionArn: in.ConnectionArn, endpoint: in.InvocationEndpoint, method: strings.ToUpper(in.HTTPMethod),
		rate: in.InvocationRateLimitPerSecond, created: time.Now().UTC(),
	}
	s.destinations[d.arn] = d
	return apiDestinationOutput{APIDestinationArn: d.arn, APIDestinationState: "ACTIVE", CreationTime: newEpoch(d.created), LastModifiedTime: newEpoch(d.created)}, nil
}

func (s *Server) describeAPIDestination(_ context.Context, body []byte) (any, *apiError) {
	var in nameInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, d := range s.destinations {
		if d.name == in.Name {
			return describeAPIDestinationOutput{
				APIDestinationArn: d.arn, Name: d.name, Description: d.description, APIDestinationState: "ACTIVE",
				ConnectionArn: d.connectionArn, InvocationEndpoint: d.endpoint, HTTPMethod: d.method,
				InvocationRateLimitPerSecond: d.rate, CreationTime: newEpoch(d.created), LastModifiedTime: newEpoch(d.created),
			}, nil
		}
	}
	return nil, notFound("Failed to describe the api-destination(s). An api-destination '%s' does not exist.", in.Name)
}
