package eventbus

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

func (s *Server) sendAPIDestination(ctx context.Context, t *target, _ *busEvent, body []byte) error {
	s.mu.RLock()
	d, ok := s.destinations[t.spec.Arn]
	var conn *connection
	if ok {
		conn = s.connections[d.connectionArn]
	}
	s.mu.RUnlock()
	if !ok {
		return noResource("API destination %s does not exist", t.spec.Arn)
	}
	endpoint := d.endpoint
	params := t.spec.HTTPParameters
	if params != nil {
		for _, v := range params.PathParameterValues {
			endpoint = strings.Replace(endpoint, "*", url.PathEscape(v), 1)
		}
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return noResource("API destination %s endpoint %q: %v", t.spec.Arn, endpoint, err)
	}
	q := u.Query()
	if params != nil {
		for k, v := range params.QueryStringParameters {
			q.Set(k, v)
		}
	}
	var method = d.method
	var reqBody *bytes.Reader
	if method == http.MethodGet || method == http.MethodHead || method == http.MethodDelete {
		reqBody = bytes.NewReader(nil)
	} else {
		reqBody = bytes.NewReader(body)
	}
	if conn != nil {
		conn.applyQuery(q)
	}
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), reqBody)
	if err != nil {
		return noResource("API destination %s: %v", t.spec.Arn, err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "Amazon/EventBridge/ApiDestinations")
	if params != nil {
		for k, v := range params.HeaderParameters {
			req.Header.Set(k, v)
		}
	}
	if conn != nil {
		conn.applyHeaders(req.Header)
	}
	resp, err := s.opts.HTTPClient.Do(req)
	if err != nil {
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
			return noResource("API destination %s: %v", t.spec.Arn, err)
		}
		return &deliveryError{Code: "SDK_CLIENT_ERROR", Retryable: true, Err: fmt.Errorf("call API destination %s: %w", t.spec.Arn, err)}
	}
	resp.Body.Close()
	if resp.StatusCode < 300 {
		return nil
	}
	// EventBridge retries 401, 407, 409, 429 and 5xx from an API destination, not other 4xx.
	retry := resp.StatusCode >= 500 || resp.StatusCode == 401 || resp.StatusCode == 407 || resp.StatusCode == 409 || resp.StatusCode == 429
	code := "ERROR_FROM_TARGET"
	if resp.StatusCode == 429 {
		code = "THROTTLING"
	}
	return &deliveryError{Code: code, Retryable: retry, Err: fmt.Errorf("API destination %s answered %s", t.spec.Arn, resp.Status)}
}
