package kinds

import (
	"sync"

	"github.com/trustaudit/trustaudit/internal/world"
)

// resourcesMu guards world.Region.Resources while kinds collect: every kind beyond SES,
// IAM and Lambda keeps its resources in that one slice, and the engine collects the kinds
// of a region concurrently.
var resourcesMu sync.Mutex

// addResources appends a kind's collected resources to the region.
func addResources(region *world.Region, rs ...world.Resource) {
	if len(rs) == 0 {
		return
	}
	resourcesMu.Lock()
	region.Resources = append(region.Resources, rs...)
	resourcesMu.Unlock()
}

// resourcesOf calls fn for every resource of the kind in a collected account, with its
// region. It runs after collection, so it needs no lock.
func resourcesOf(acct *world.Account, kind string, fn func(region string, r *world.Resource)) {
	for i := range acct.Regions {
		reg := &acct.Regions[i]
		for j := range reg.Resources {
			if reg.Resources[j].Kind == kind {
				fn(reg.Name, &reg.Resources[j])
			}
		}
	}
}

// countResources counts a kind's resources in a collected account.
func countResources(acct *world.Account, kind string) int {
	n := 0
	resourcesOf(acct, kind, func(string, *world.Resource) { n++ })
	return n
}

// regionCount counts a kind's resources in one region (none in a nil region: global kinds
// are asked their Demand without one).
func regionCount(r *world.Region, kind string) int {
	if r == nil {
		return 0
	}
	n := 0
	for i := range r.Resources {
		if r.Resources[i].Kind == kind {
			n++
		}
	}
	return n
}
