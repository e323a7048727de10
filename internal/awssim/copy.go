package awssim

import (
	"maps"
	"slices"

	"github.com/trustaudit/trustaudit/internal/world"
)

// deepCopyWorld copies every slice and map of w; the strings (policies included) are
// immutable and shared, which keeps copying a generated estate of thousands of accounts cheap.
func deepCopyWorld(w *world.World) *world.World {
	out := &world.World{SchemaVersion: w.SchemaVersion, Gaps: slices.Clone(w.Gaps)}
	if w.Organization != nil {
		o := *w.Organization
		o.Units = slices.Clone(o.Units)
		o.Members = slices.Clone(o.Members)
		out.Organization = &o
	}
	out.Accounts = make([]world.Account, len(w.Accounts))
	for i, a := range w.Accounts {
		a.AccessKeys = slices.Clone(a.AccessKeys)
		a.IAM.Roles = slices.Clone(a.IAM.Roles)
		a.Settings = maps.Clone(a.Settings)
		regions := make([]world.Region, len(a.Regions))
		for j, r := range a.Regions {
			r.SESIdentities = slices.Clone(r.SESIdentities)
			for k := range r.SESIdentities {
				r.SESIdentities[k].Policies = maps.Clone(r.SESIdentities[k].Policies)
			}
			r.LambdaFunctions = slices.Clone(r.LambdaFunctions)
			for k := range r.LambdaFunctions {
				f := &r.LambdaFunctions[k]
				f.Versions = slices.Clone(f.Versions)
				f.Aliases = slices.Clone(f.Aliases)
			}
			r.LambdaLayers = slices.Clone(r.LambdaLayers)
			for k := range r.LambdaLayers {
				r.LambdaLayers[k].Versions = slices.Clone(r.LambdaLayers[k].Versions)
			}
			r.Resources = slices.Clone(r.Resources)
			for k := range r.Resources {
				x := &r.Resources[k]
				x.Shares = slices.Clone(x.Shares)
				x.Grants = slices.Clone(x.Grants)
				for g := range x.Grants {
					x.Grants[g].Permissions = slices.Clone(x.Grants[g].Permissions)
				}
				x.Attributes = maps.Clone(x.Attributes)
			}
			regions[j] = r
		}
		a.Regions = regions
		out.Accounts[i] = a
	}
	return out
}
