package output

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// ocsfSchema checks events against the OCSF schema definitions as the ocsf-schema
// repository ships them (dictionary, categories, events, objects, profiles): the class and
// its parents merged, required attributes present, no attribute the class does not define,
// every value of its dictionary type, enum values defined, the *_id siblings' captions, the
// objects' at_least_one constraints, and the class, category and type uids. It reads only
// what the checked class needs, from a copy under testdata.
type ocsfSchema struct {
	root  string
	dict  map[string]ocsfAttr
	types map[string]struct {
		Type string `json:"type"`
	}
	cache map[string]*ocsfClass
	// profiles are the profiles the event being checked applies (metadata.profiles).
	profiles map[string]bool
	// read records the definition files used, so that the vendored copy can be kept minimal.
	read map[string]bool
}

type ocsfAttr struct {
	Type        string                     `json:"type"`
	IsArray     bool                       `json:"is_array"`
	Enum        map[string]json.RawMessage `json:"enum"`
	Requirement string                     `json:"requirement"`
	Sibling     string                     `json:"sibling"`
	// Profile names the profile an attribute belongs to: it applies only to events whose
	// metadata.profiles lists that profile.
	Profile string `json:"profile"`
}

type ocsfClass struct {
	Name       string
	UID        int
	Category   string
	Attributes map[string]ocsfAttr
	AtLeastOne []string
}

type ocsfFile struct {
	Name        string                     `json:"name"`
	UID         *int                       `json:"uid"`
	Category    string                     `json:"category"`
	Extends     string                     `json:"extends"`
	Attributes  map[string]json.RawMessage `json:"attributes"`
	Constraints struct {
		AtLeastOne []string `json:"at_least_one"`
	} `json:"constraints"`
}

func loadOCSFSchema(root string) (*ocsfSchema, error) {
	s := &ocsfSchema{root: root, cache: map[string]*ocsfClass{}, read: map[string]bool{}}
	var dict struct {
		Attributes map[string]ocsfAttr `json:"attributes"`
		Types      struct {
			Attributes map[string]struct {
				Type string `json:"type"`
			} `json:"attributes"`
		} `json:"types"`
	}
	if err := s.readJSON("dictionary.json", &dict); err != nil {
		return nil, err
	}
	s.dict, s.types = dict.Attributes, dict.Types.Attributes
	return s, nil
}

func (s *ocsfSchema) readJSON(rel string, v any) error {
	data, err := os.ReadFile(filepath.Join(s.root, rel))
	if err != nil {
		return err
	}
	s.read[rel] = true
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", rel, err)
	}
	return nil
}

// class loads an event class or object definition with its parents and includes merged,
// the child's attribute fields overriding the parent's.
func (s *ocsfSchema) class(rel string) (*ocsfClass, error) {
	if c, ok := s.cache[rel]; ok {
		return c, nil
	}
	var f ocsfFile
	if err := s.readJSON(rel, &f); err != nil {
		return nil, err
	}
	c := &ocsfClass{Name: f.Name, Category: f.Category, Attributes: map[string]ocsfAttr{}}
	if f.UID != nil {
		c.UID = *f.UID
	}
	raw := map[string]map[string]json.RawMessage{}
	if f.Extends != "" && f.Extends != "object" {
		var parentRel string
		if strings.HasPrefix(rel, "events/") {
			parentRel = "events/" + f.Extends + ".json"
			if _, err := os.Stat(filepath.Join(s.root, parentRel)); err != nil {
				parentRel = filepath.ToSlash(filepath.Join(filepath.Dir(rel), f.Extends+".json"))
			}
		} else {
			parentRel = "objects/" + f.Extends + ".json"
		}
		p, err := s.class(parentRel)
		if err != nil {
			return nil, fmt.Errorf("%s extends %s: %w", rel, f.Extends, err)
		}
		for k, a := range p.Attributes {
			b, _ := json.Marshal(a)
			var m map[string]json.RawMessage
			_ = json.Unmarshal(b, &m)
			raw[k] = m
		}
		if c.Category == "" {
			c.Category = p.Category
		}
		c.AtLeastOne = p.AtLeastOne
	}
	merge := func(attrs map[string]json.RawMessage, profile string) error {
		for k, v := range attrs {
			if k == "$include" {
				continue
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("%s: attribute %s: %w", rel, k, err)
			}
			if raw[k] == nil {
				raw[k] = map[string]json.RawMessage{}
			}
			for fk, fv := range m {
				if string(fv) == "null" {
					// "profile": null takes an attribute out of its profile; any other
					// null keeps the parent's value.
					if fk == "profile" {
						delete(raw[k], fk)
					}
					continue
				}
				raw[k][fk] = fv
			}
			if profile != "" {
				raw[k]["profile"], _ = json.Marshal(profile)
			}
		}
		return nil
	}
	if inc, ok := f.Attributes["$include"]; ok {
		var paths []string
		if err := json.Unmarshal(inc, &paths); err != nil {
			return nil, fmt.Errorf("%s: $include: %w", rel, err)
		}
		for _, p := range paths {
			var pf ocsfFile
			if err := s.readJSON(p, &pf); err != nil {
				return nil, fmt.Errorf("%s includes %s: %w", rel, p, err)
			}
			profile := ""
			if strings.HasPrefix(p, "profiles/") {
				profile = pf.Name
			}
			if err := merge(pf.Attributes, profile); err != nil {
				return nil, err
			}
		}
	}
	if err := merge(f.Attributes, ""); err != nil {
		return nil, err
	}
	for k, m := range raw {
		b, _ := json.Marshal(m)
		var a ocsfAttr
		if err := json.Unmarshal(b, &a); err != nil {
			return nil, fmt.Errorf("%s: attribute %s: %w", rel, k, err)
		}
		c.Attributes[k] = a
	}
	if len(f.Constraints.AtLeastOne) > 0 {
		c.AtLeastOne = f.Constraints.AtLeastOne
	}
	s.cache[rel] = c
	return c, nil
}

// effective is an attribute's definition: the dictionary's, with the class's fields over it.
// An enum the class narrows keeps the dictionary's Unknown (0) and Other (99).
func (s *ocsfSchema) effective(name string, local ocsfAttr) (ocsfAttr, bool) {
	d, ok := s.dict[name]
	if !ok {
		return ocsfAttr{}, false
	}
	a := d
	if local.Type != "" {
		a.Type = local.Type
	}
	if local.IsArray {
		a.IsArray = true
	}
	if local.Requirement != "" {
		a.Requirement = local.Requirement
	}
	if local.Sibling != "" {
		a.Sibling = local.Sibling
	}
	a.Profile = local.Profile
	if len(local.Enum) > 0 {
		a.Enum = map[string]json.RawMessage{}
		for k, v := range local.Enum {
			a.Enum[k] = v
		}
		for _, k := range []string{"0", "99"} {
			if v, ok := d.Enum[k]; ok {
				if _, has := a.Enum[k]; !has {
					a.Enum[k] = v
				}
			}
		}
	}
	return a, true
}

// baseType follows a dictionary type to the JSON-level primitive it is built on.
func (s *ocsfSchema) baseType(t string) string {
	for i := 0; i < 8; i++ {
		def, ok := s.types[t]
		if !ok || def.Type == "" {
			return t
		}
		t = def.Type
	}
	return t
}

// validateEvent checks one event of the class defined at rel (e.g.
// events/findings/detection_finding.json) and returns every problem found.
func (s *ocsfSchema) validateEvent(rel string, ev map[string]any) ([]string, error) {
	c, err := s.class(rel)
	if err != nil {
		return nil, err
	}
	var cats struct {
		Attributes map[string]struct {
			UID int `json:"uid"`
		} `json:"attributes"`
	}
	if err := s.readJSON("categories.json", &cats); err != nil {
		return nil, err
	}
	s.profiles = map[string]bool{}
	if md, ok := ev["metadata"].(map[string]any); ok {
		if ps, ok := md["profiles"].([]any); ok {
			for _, p := range ps {
				if name, ok := p.(string); ok {
					s.profiles[name] = true
				}
			}
		}
	}
	var errs []string
	cat, ok := cats.Attributes[c.Category]
	if !ok {
		return nil, fmt.Errorf("%s: category %q not in categories.json", rel, c.Category)
	}
	wantClass := cat.UID*1000 + c.UID
	if got, _ := ev["class_uid"].(float64); int(got) != wantClass {
		errs = append(errs, fmt.Sprintf("class_uid: %v, want %d", ev["class_uid"], wantClass))
	}
	if got, _ := ev["category_uid"].(float64); int(got) != cat.UID {
		errs = append(errs, fmt.Sprintf("category_uid: %v, want %d", ev["category_uid"], cat.UID))
	}
	act, _ := ev["activity_id"].(float64)
	if got, _ := ev["type_uid"].(float64); int64(got) != int64(wantClass)*100+int64(act) {
		errs = append(errs, fmt.Sprintf("type_uid: %v, want class_uid*100+activity_id = %d", ev["type_uid"], int64(wantClass)*100+int64(act)))
	}
	errs = append(errs, s.validateObject("", c, ev)...)
	return errs, nil
}

func (s *ocsfSchema) validateObject(path string, c *ocsfClass, obj map[string]any) []string {
	var errs []string
	at := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	names := make([]string, 0, len(c.Attributes))
	for k := range c.Attributes {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		a, ok := s.effective(k, c.Attributes[k])
		if ok && a.Requirement == "required" && (a.Profile == "" || s.profiles[a.Profile]) {
			if _, present := obj[k]; !present {
				errs = append(errs, at(k)+": required attribute missing")
			}
		}
	}
	if len(c.AtLeastOne) > 0 {
		found := false
		for _, k := range c.AtLeastOne {
			if _, ok := obj[k]; ok {
				found = true
			}
		}
		if !found {
			errs = append(errs, fmt.Sprintf("%s: needs at least one of %v", path, c.AtLeastOne))
		}
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		local, defined := c.Attributes[k]
		if !defined {
			errs = append(errs, at(k)+": not an attribute of "+c.Name)
			continue
		}
		a, ok := s.effective(k, local)
		if !ok {
			errs = append(errs, at(k)+": not in the dictionary")
			continue
		}
		if a.Profile != "" && !s.profiles[a.Profile] {
			errs = append(errs, fmt.Sprintf("%s: attribute of the %s profile, which metadata.profiles does not list", at(k), a.Profile))
			continue
		}
		if k == "class_uid" || k == "category_uid" {
			// The definitions list only placeholders; validateEvent checks the values.
			a.Enum = nil
		}
		v := obj[k]
		if a.IsArray {
			arr, ok := v.([]any)
			if !ok {
				errs = append(errs, fmt.Sprintf("%s: expected an array of %s, found %T", at(k), a.Type, v))
				continue
			}
			for i, item := range arr {
				errs = append(errs, s.validateValue(fmt.Sprintf("%s[%d]", at(k), i), a, item)...)
			}
		} else {
			errs = append(errs, s.validateValue(at(k), a, v)...)
		}
		if a.Sibling != "" && len(a.Enum) > 0 {
			if sib, ok := obj[a.Sibling].(string); ok {
				if n, ok := v.(float64); ok && n != 99 {
					var e struct {
						Caption string `json:"caption"`
					}
					_ = json.Unmarshal(a.Enum[strconv.Itoa(int(n))], &e)
					if e.Caption != "" && sib != e.Caption {
						errs = append(errs, fmt.Sprintf("%s: %q, but %s %v means %q", at(a.Sibling), sib, k, n, e.Caption))
					}
				}
			}
		}
	}
	return errs
}

func (s *ocsfSchema) validateValue(path string, a ocsfAttr, v any) []string {
	base := s.baseType(a.Type)
	bad := func(want string) []string {
		return []string{fmt.Sprintf("%s: expected %s (%s), found %T %v", path, want, a.Type, v, v)}
	}
	switch base {
	case "string_t":
		str, ok := v.(string)
		if !ok {
			return bad("a string")
		}
		if len(a.Enum) > 0 {
			if _, ok := a.Enum[str]; !ok {
				return []string{fmt.Sprintf("%s: %q is not one of the enum values", path, str)}
			}
		}
	case "integer_t", "long_t":
		n, ok := v.(float64)
		if !ok || n != math.Trunc(n) {
			return bad("an integer")
		}
		if base == "integer_t" && (n > math.MaxInt32 || n < math.MinInt32) {
			return bad("a 32-bit integer")
		}
		if len(a.Enum) > 0 {
			if _, ok := a.Enum[strconv.FormatInt(int64(n), 10)]; !ok {
				return []string{fmt.Sprintf("%s: %v is not one of the enum values", path, n)}
			}
		}
	case "float_t":
		if _, ok := v.(float64); !ok {
			return bad("a number")
		}
	case "boolean_t":
		if _, ok := v.(bool); !ok {
			return bad("a boolean")
		}
	case "json_t":
	case "object":
		if _, ok := v.(map[string]any); !ok {
			return bad("an object")
		}
	default:
		obj, ok := v.(map[string]any)
		if !ok {
			return bad("an object")
		}
		c, err := s.class("objects/" + a.Type + ".json")
		if err != nil {
			return []string{fmt.Sprintf("%s: %v", path, err)}
		}
		return s.validateObject(path, c, obj)
	}
	return nil
}
