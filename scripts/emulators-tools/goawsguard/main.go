// Command goawsguard sits in front of goaws and keeps it alive when several test binaries use
// it at once. goaws v0.4.5 reads its queue and topic tables (Go maps) without a lock at the
// start of most handlers while CreateQueue, DeleteQueue, CreateTopic and the subscription calls
// write them, and Go aborts the whole process on a concurrent map read and write. The guard
// lets ordinary requests run together and runs the table-changing ones alone.
//
// A long poll (ReceiveMessage with WaitTimeSeconds) would hold off a table change for up to
// 20 s, so the guard polls on the client's behalf instead: it forwards short receives, each
// holding the lock only for its own duration, until a message arrives or the wait is over.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"sync"
	"time"
)

// writesTables tells the actions that add or remove entries of goaws's queue and topic maps.
func writesTables(action string) bool {
	switch action {
	case "CreateQueue", "DeleteQueue", "CreateTopic", "DeleteTopic", "Subscribe", "Unsubscribe":
		return true
	}
	return false
}

type guard struct {
	mu    sync.RWMutex
	proxy *httputil.ReverseProxy
	poll  time.Duration
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "`host:port` to listen on")
	target := flag.String("target", "", "goaws base `URL`, e.g. http://127.0.0.1:4100")
	flag.Parse()
	u, err := url.Parse(*target)
	if err != nil || u.Scheme == "" || u.Host == "" {
		fmt.Fprintf(os.Stderr, "goawsguard: -target %q: want a URL such as http://127.0.0.1:4100\n", *target)
		os.Exit(2)
	}
	g := &guard{proxy: httputil.NewSingleHostReverseProxy(u), poll: 100 * time.Millisecond}
	srv := &http.Server{Addr: *addr, Handler: g, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}

func (g *guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "goawsguard: read request: "+err.Error(), http.StatusBadRequest)
		return
	}
	form, _ := url.ParseQuery(string(body)) // query protocol: a form body; a bad one goes on to goaws as is
	action := form.Get("Action")
	if action == "" {
		action = r.URL.Query().Get("Action")
	}
	switch {
	case writesTables(action):
		g.mu.Lock()
		defer g.mu.Unlock()
		g.forward(w, r, body)
	case action == "ReceiveMessage" && form.Get("WaitTimeSeconds") != "" && form.Get("WaitTimeSeconds") != "0":
		g.longPoll(w, r, form)
	default:
		g.mu.RLock()
		defer g.mu.RUnlock()
		g.forward(w, r, body)
	}
}

func (g *guard) forward(w http.ResponseWriter, r *http.Request, body []byte) {
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	g.proxy.ServeHTTP(w, r)
}

// longPoll answers a long-polling ReceiveMessage with short receives until one returns a
// message or the client's wait time is over.
func (g *guard) longPoll(w http.ResponseWriter, r *http.Request, form url.Values) {
	wait, err := strconv.Atoi(form.Get("WaitTimeSeconds"))
	if err != nil || wait < 0 {
		wait = 0
	}
	form.Set("WaitTimeSeconds", "0")
	body := []byte(form.Encode())
	deadline := time.Now().Add(time.Duration(wait) * time.Second)
	for {
		rec := httptest.NewRecorder()
		g.mu.RLock()
		g.forward(rec, r.Clone(r.Context()), body)
		g.mu.RUnlock()
		got := rec.Body.Bytes()
		if rec.Code != http.StatusOK || bytes.Contains(got, []byte("<Message>")) || !time.Now().Before(deadline) || r.Context().Err() != nil {
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.Header().Set("Content-Length", strconv.Itoa(len(got)))
			w.WriteHeader(rec.Code)
			_, _ = w.Write(got)
			return
		}
		select {
		case <-r.Context().Done():
		case <-time.After(g.poll):
		}
	}
}
