package sandbox

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
)

// Admin endpoints, for the command and users' CI. They need no API key but
// answer loopback clients only, add no latency and are not logged:
//
//	POST   /_sandbox/faults          one Fault or an array of them (see ParseFaults)
//	DELETE /_sandbox/faults          remove every fault
//	GET    /_sandbox/requests        the request log, without api-key values
//	POST   /_sandbox/requests/reset  empty the request log, reset MaxInFlight
//	GET    /_sandbox/health          {"status":"ok"}
const adminPrefix = "/_sandbox/"

// AdminEndpoint is one admin endpoint, for the command's help and start-up
// text.
type AdminEndpoint struct {
	Method, Path, Does string
}

// AdminEndpoints are the admin endpoints, as serveAdmin serves them (a test
// holds the two to each other).
var AdminEndpoints = []AdminEndpoint{
	{"POST", adminPrefix + "faults", "install one fault or a JSON array of them"},
	{"DELETE", adminPrefix + "faults", "remove every fault"},
	{"GET", adminPrefix + "requests", "the request log (never the API key)"},
	{"POST", adminPrefix + "requests/reset", "empty the request log"},
	{"GET", adminPrefix + "health", `{"status":"ok"}`},
}

const maxAdminBody = 1 << 20

// requestView is a request log entry as the admin endpoint serves it: the
// api-key value is left out (Request.APIKey has json:"-"), only whether one
// was sent is told.
type requestView struct {
	Request
	APIKeySent bool `json:"api_key_sent"`
}

func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	if !loopbackRemote(r.RemoteAddr) {
		adminJSON(w, http.StatusForbidden, map[string]string{"error": "the sandbox admin endpoints answer loopback clients only"})
		return
	}
	var allow string
	switch r.URL.Path {
	case adminPrefix + "health":
		if allow = http.MethodGet; r.Method == allow {
			adminJSON(w, http.StatusOK, map[string]string{"status": "ok"})
			return
		}
	case adminPrefix + "faults":
		allow = "POST, DELETE"
		switch r.Method {
		case http.MethodPost:
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAdminBody))
			if err != nil {
				adminJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
				return
			}
			faults, err := ParseFaults(body)
			if err != nil {
				adminJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
				return
			}
			for _, f := range faults {
				s.AddFault(f)
			}
			adminJSON(w, http.StatusOK, map[string]int{"added": len(faults), "faults": s.faultCount()})
			return
		case http.MethodDelete:
			s.ClearFaults()
			adminJSON(w, http.StatusOK, map[string]int{"faults": 0})
			return
		}
	case adminPrefix + "requests":
		if allow = http.MethodGet; r.Method == allow {
			reqs := s.Requests()
			views := make([]requestView, len(reqs))
			for i, req := range reqs {
				views[i] = requestView{Request: req, APIKeySent: req.APIKey != ""}
			}
			adminJSON(w, http.StatusOK, views)
			return
		}
	case adminPrefix + "requests/reset":
		if allow = http.MethodPost; r.Method == allow {
			s.ResetRequests()
			adminJSON(w, http.StatusOK, map[string]string{"status": "ok"})
			return
		}
	default:
		adminJSON(w, http.StatusNotFound, map[string]string{"error": "no admin endpoint " + r.URL.Path})
		return
	}
	w.Header().Set("Allow", allow)
	adminJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": r.Method + " " + r.URL.Path + " is not allowed; use " + allow})
}

func (s *Server) faultCount() int {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	return len(s.faults)
}

func loopbackRemote(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func adminJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) //nolint:errcheck // the client may have gone
}
