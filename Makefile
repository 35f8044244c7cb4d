# Spine. `make run` starts one node with embedded defaults; `make test` runs
# every check CI runs (the race detector needs gcc). `make proto` needs protoc.
GO      ?= go
BIN     := bin
ADDR    ?= 127.0.0.1:8080
DATA    ?= ./data
PROTOC_GEN := $(BIN)/protoc-gen-go $(BIN)/protoc-gen-go-grain

.PHONY: all build run test vet staticcheck proto bench bench-go clean

all: build

build:
	$(GO) build -o $(BIN)/ ./cmd/...

run: build
	$(BIN)/spine serve --demo --addr $(ADDR) --data $(DATA)

vet:
	$(GO) vet ./...

staticcheck:
	$(GO) tool staticcheck ./...

test: vet staticcheck
	$(GO) test -race -count=1 -timeout 12m ./...

$(BIN)/protoc-gen-go:
	$(GO) build -o $@ google.golang.org/protobuf/cmd/protoc-gen-go

$(BIN)/protoc-gen-go-grain:
	$(GO) build -o $@ github.com/asynkron/protoactor-go/protobuf/protoc-gen-go-grain

# Regenerates the committed protobuf and grain code (needs protoc: Debian
# protobuf-compiler). Tests never need protoc.
proto: $(PROTOC_GEN)
	protoc --plugin=protoc-gen-go=$(BIN)/protoc-gen-go -I actors -I cluster \
		--go_out=. --go_opt=module=github.com/casespine/spine actors/spinepb/spine.proto
	protoc --plugin=protoc-gen-go=$(BIN)/protoc-gen-go --plugin=protoc-gen-go-grain=$(BIN)/protoc-gen-go-grain \
		-I actors -I cluster --go_out=. --go_opt=module=github.com/casespine/spine \
		--go-grain_out=. --go-grain_opt=module=github.com/casespine/spine cluster/grainpb/grains.proto

# The standard short suite of spine-bench against an embedded node (about a
# minute): intake against Spine and the bare baseline, fan-out, connections.
bench: build
	$(BIN)/spine-bench suite --embedded --out run.json

# Go benchmarks next to the code: store commits, parsing, tokens, intake
# through the whole stack.
bench-go:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 2s ./persistence/... ./gateway/... ./cmd/spine/

clean:
	rm -rf $(BIN)
