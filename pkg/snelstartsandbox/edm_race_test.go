package snelstartsandbox

import (
	"reflect"
	"sync"
	"testing"
)

type edmTestNode struct {
	Naam     string         `json:"naam"`
	Kinderen []edmTestNode  `json:"kinderen"`
	Ouder    *edmTestNode   `json:"ouder"`
	Extra    map[string]int `json:"-"`
}

// TestEDMConcurrentFirstUse: the first filters on a type, from many
// requests at once, all see its complete set of properties.
func TestEDMConcurrentFirstUse(t *testing.T) {
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			et := edmOf(reflect.TypeFor[edmTestNode]())
			if len(et.props) != 3 || et.props["Ouder"] == nil || et.props["Ouder"].typ != et || et.props["Kinderen"].typ.elem != et {
				t.Errorf("incomplete or inconsistent type: %+v", et.props)
			}
		}()
	}
	wg.Wait()
}
