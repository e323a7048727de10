package awssim

import (
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/trustaudit/trustaudit/internal/world"
)

// fill gives every field of v a value: one element per slice, one entry per map, so that
// a field added to the world schema cannot escape TestDeepCopyWorldSharesNothing.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem())
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i))
			}
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0))
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k)
		fill(e)
		v.SetMapIndex(k, e)
	case reflect.String:
		v.SetString("x")
	case reflect.Int, reflect.Int64:
		v.SetInt(1)
	case reflect.Bool:
		v.SetBool(true)
	}
}

// shared reports the first slice, map or pointer that a and b have in common.
func shared(path string, a, b reflect.Value) string {
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() {
			return ""
		}
		if a.Pointer() == b.Pointer() {
			return path
		}
		return shared(path, a.Elem(), b.Elem())
	case reflect.Struct:
		for i := 0; i < a.NumField(); i++ {
			if !a.Type().Field(i).IsExported() {
				continue
			}
			if p := shared(path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i)); p != "" {
				return p
			}
		}
	case reflect.Slice:
		if a.Len() > 0 && a.Pointer() == b.Pointer() {
			return path
		}
		for i := 0; i < a.Len(); i++ {
			if p := shared(path+"[]", a.Index(i), b.Index(i)); p != "" {
				return p
			}
		}
	case reflect.Map:
		if a.Len() > 0 && a.Pointer() == b.Pointer() {
			return path
		}
		for _, k := range a.MapKeys() {
			if p := shared(path+"{}", a.MapIndex(k), b.MapIndex(k)); p != "" {
				return p
			}
		}
	}
	return ""
}

func TestDeepCopyWorldSharesNothing(t *testing.T) {
	var w world.World
	fill(reflect.ValueOf(&w).Elem())
	c := deepCopyWorld(&w)
	if diff := cmp.Diff(&w, c); diff != "" {
		t.Fatalf("copy differs (-orig +copy):\n%s", diff)
	}
	if p := shared("World", reflect.ValueOf(&w).Elem(), reflect.ValueOf(c).Elem()); p != "" {
		t.Errorf("the copy shares %s with the original", p)
	}
}
