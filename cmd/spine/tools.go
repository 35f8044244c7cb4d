package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/casespine/spine/gateway/auth"
)

// signer loads the node's signing key: --key-file, else DATA/signing.key.
func signer(data, keyFile string) (*auth.Auth, error) {
	var key []byte
	var err error
	if keyFile != "" {
		key, err = auth.LoadKeyFile(keyFile)
	} else {
		key, err = auth.LoadOrCreateKey(data, false)
	}
	if err != nil {
		return nil, fmt.Errorf("signing key (start the node once, or pass --key-file): %w", err)
	}
	return auth.New(auth.Options{Key: key})
}

// token mints a token from the node's key file; it works while the node
// runs, since it only reads the key.
func token(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("spine token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "./data", "the node's data directory")
	keyFile := fs.String("key-file", "", "signing key file (default DATA/signing.key)")
	client := fs.String("client", "", "tenant id (not for --role operator)")
	sub := fs.String("sub", "", "the user the token acts as")
	role := fs.String("role", "admin", "operator, admin or agent")
	ttl := fs.Duration("ttl", 24*time.Hour, "lifetime")
	if _, err := parseCommand(fs, args); err != nil {
		return err
	}
	if *sub == "" {
		fmt.Fprintln(stderr, "spine token: --sub is required")
		return errUsage
	}
	a, err := signer(*data, *keyFile)
	if err != nil {
		return err
	}
	tok, _, err := a.Issue(auth.Claims{Sub: *sub, Role: auth.Role(*role), ClientID: *client}, *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	return nil
}

// tenant implements `spine tenant create CID`, through the running node's API.
func tenant(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprintln(stderr, "usage: spine tenant create CID [--name NAME] [--url URL] [--data DIR | --token JWT]")
		return errUsage
	}
	fs := flag.NewFlagSet("spine tenant create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "http://127.0.0.1:8080", "the node's base URL")
	data := fs.String("data", "./data", "data directory whose key mints an operator token")
	keyFile := fs.String("key-file", "", "signing key file (default DATA/signing.key)")
	tok := fs.String("token", "", "operator token (instead of minting one from the key)")
	name := fs.String("name", "", "display name")
	maxConns := fs.Uint("max-conns-per-user", 0, "the tenant's per-user socket cap (0 = node default)")
	rest := args[1:]
	var cid string
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		cid, rest = rest[0], rest[1:]
	}
	if _, err := parseCommand(fs, rest); err != nil {
		return err
	}
	if cid == "" && fs.NArg() > 0 {
		cid = fs.Arg(0)
	}
	if cid == "" {
		fmt.Fprintln(stderr, "spine tenant create: the tenant id is required")
		return errUsage
	}
	if *tok == "" {
		a, err := signer(*data, *keyFile)
		if err != nil {
			return err
		}
		t, _, err := a.Issue(auth.Claims{Sub: "spine-cli", Role: auth.RoleOperator}, 10*time.Minute)
		if err != nil {
			return err
		}
		*tok = t
	}
	body, _ := json.Marshal(map[string]any{
		"client_id": cid, "name": *name, "settings": map[string]any{"max_connections_per_user": *maxConns},
	})
	req, err := http.NewRequest(http.MethodPost, strings.TrimRight(*url, "/")+"/admin/clients", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+*tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("is the node running at %s? %w", *url, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(out)))
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, out, "", "  ") == nil {
		out = pretty.Bytes()
	}
	fmt.Fprintln(stdout, string(out))
	return nil
}
