package cluster

import (
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	pcluster "github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/extensions"
	"github.com/casespine/spine/actors"
)

// Store is what the grains of this node need of the store.
type Store = actors.Store

var depsID = extensions.NextExtensionID()

// deps are the node-local dependencies of grains, registered on the actor
// system so that several members in one process never share them.
type deps struct {
	store     Store
	now       func() time.Time
	log       *slog.Logger
	commitTTL time.Duration
}

func (d *deps) ExtensionID() extensions.ExtensionID { return depsID }

func depsOf(ctx pcluster.GrainContext) *deps { return depsOfSystem(ctx.ActorSystem()) }

func depsOfSystem(s *actor.ActorSystem) *deps { return s.Extensions.Get(depsID).(*deps) }
