package core

import (
	"math"
	"math/rand/v2"
	"testing"
)

// netFromNeurons builds a network from per-neuron (w_j, v_j) pairs.
func netFromNeurons(w, v [][]float64) *Network {
	d, out, h := len(w[0]), len(v[0]), len(w)
	net := NewNetwork(d, h, out)
	for j := range w {
		for p := 0; p < d; p++ {
			net.W[p*h+j] = w[j][p]
		}
		for o := 0; o < out; o++ {
			net.V[o*h+j] = v[j][o]
		}
	}
	return net
}

func TestCheckInitA3(t *testing.T) {
	// Class 0 (y = +1): (1, 0.2), (1, -0.2); class 1: (-1, 0.1), (-1, -0.3).
	// xbar_+ = (1, 0); xbar_- is the direction of (-2, -0.2).
	ds := theoryDataset(2, 2, [][]float64{{1, 0.2}, {-1, 0.1}, {1, -0.2}, {-1, -0.3}}, []int{0, 1, 0, 1})
	good := [][]float64{{1, 0.5}, {-1, 0}} // fires on class 0 / class 1
	cases := []struct {
		name string
		w    [][]float64
		v    []float64
		want bool
	}{
		{"holds", good, []float64{1, -1}, true},
		{"N_- empty", good, []float64{1, 2}, false},
		{"N_+ empty", good, []float64{-1, -2}, false},
		// Neuron 0 fires only on class 1: no N_+ neuron fires on class 0
		// (its cosine with xbar_- is 0.85 < 1, so only that clause fails).
		{"N_+ silent on class 0", [][]float64{{-1, 0.5}, {-1, 0}}, []float64{1, -1}, false},
		// Neuron 1 fires only on class 0 (cos with xbar_+ 0.45 < 1).
		{"N_- silent on class 1", [][]float64{{1, 0.5}, {0.5, 1}}, []float64{1, -1}, false},
		// A third neuron along xbar_- (a rounded multiple of it) in N_+.
		{"N_+ neuron along xbar_-", [][]float64{{1, 0.5}, {-1, 0}, {-0.2 / 3, -0.02 / 3}}, []float64{1, -1, 1}, false},
		// The same neuron in N_- is allowed: its cosine with xbar_+ is < 1.
		{"N_- neuron along xbar_-", [][]float64{{1, 0.5}, {-1, 0}, {-0.2 / 3, -0.02 / 3}}, []float64{1, -1, -1}, true},
		{"N_- neuron along xbar_+", [][]float64{{1, 0.5}, {-1, 0}, {7, 0}}, []float64{1, -1, -1}, false},
		// A neuron with v_j = 0 is in neither group and is not checked.
		{"v = 0 along xbar_+", [][]float64{{1, 0.5}, {-1, 0}, {7, 0}}, []float64{1, -1, 0}, true},
	}
	for _, c := range cases {
		for _, eps := range []float64{1, 1e-150} {
			w := make([][]float64, len(c.w))
			v := make([][]float64, len(c.v))
			for j := range c.w {
				w[j] = []float64{eps * c.w[j][0], eps * c.w[j][1]}
				v[j] = []float64{eps * c.v[j]}
			}
			ic := CheckInit(netFromNeurons(w, v), ds)
			if ic.A3 == nil || *ic.A3 != c.want || ic.A4 != nil || ic.A4GroupSizes != nil {
				t.Errorf("%s (eps %g): A3 %v A4 %v, want A3 %v only", c.name, eps, ic.A3, ic.A4, c.want)
			}
		}
	}
}

func TestCheckInitA4Hand(t *testing.T) {
	// Class 0: (1,0,0), (1,0.1,0); class 1: (0,1,0), (0,1,0.1); class 2: (0,0,1).
	ds := theoryDataset(3, 3, [][]float64{{1, 0, 0}, {1, 0.1, 0}, {0, 1, 0}, {0, 1, 0.1}, {0, 0, 1}}, []int{0, 0, 1, 1, 2})
	e := func(c int) []float64 {
		return []float64{etildeEntry(0, c, 3), etildeEntry(1, c, 3), etildeEntry(2, c, 3)}
	}
	// q is a unit sum-zero direction orthogonal to etilde_0.
	q := []float64{0, 1 / math.Sqrt2, -1 / math.Sqrt2}
	mix := func(b float64) []float64 {
		s := math.Sqrt(1 - b*b)
		return []float64{b*e(0)[0] + s*q[0], b*e(0)[1] + s*q[1], b*e(0)[2] + s*q[2]}
	}
	n1, n2 := []float64{-1, 1, 0}, []float64{0, -1, 1} // fire on class 1 / class 2 only
	cases := []struct {
		name  string
		w0    []float64
		v0    []float64
		extra bool // include the class-2 neuron
		want  bool
	}{
		{"holds", []float64{1, 0, 0}, e(0), true, true},
		// counts (2, 2, 0): |I_0|^2 = 4 is not > 4, although A_0 = 2.001 > 2 (0.02).
		{"count condition fails", []float64{1, 0.01, 0}, e(0), true, false},
		// counts (2, 1, 0) but A_0 = 0.3 < 2 A_1 = 2 (unnormalised).
		{"activation condition fails", []float64{0.1, 1, -20}, e(0), true, false},
		{"v to the wrong class", []float64{1, 0, 0}, e(1), true, false},
		{"B = 0.8 >= 0.75", []float64{1, 0, 0}, mix(0.8), true, true},
		{"B = 0.7 < 0.75", []float64{1, 0, 0}, mix(0.7), true, false},
		{"class 2 has no neuron", []float64{1, 0, 0}, e(0), false, false},
	}
	for _, c := range cases {
		w, v := [][]float64{c.w0, n1}, [][]float64{c.v0, e(1)}
		if c.extra {
			w, v = append(w, n2), append(v, e(2))
		}
		ic := CheckInit(netFromNeurons(w, v), ds)
		if ic.A4 == nil || *ic.A4 != c.want || ic.A3 != nil {
			t.Errorf("%s: A3 %v A4 %v, want A4 %v only", c.name, ic.A3, ic.A4, c.want)
			continue
		}
		if c.want && (len(ic.A4GroupSizes) != 3 || ic.A4GroupSizes[0] != 1 || ic.A4GroupSizes[1] != 1 || ic.A4GroupSizes[2] != 1) {
			t.Errorf("%s: A4GroupSizes %v, want [1 1 1]", c.name, ic.A4GroupSizes)
		}
		if !c.want && ic.A4GroupSizes != nil {
			t.Errorf("%s: A4GroupSizes %v with A4 false", c.name, ic.A4GroupSizes)
		}
	}
}

// TestCheckInitA4SemiLocal builds semi-local shapes (w_j = x_i, v_j =
// Etilde e_{y_i}) on orthogonally separable data: A4 holds with the group
// sizes of the draw, and fails once one neuron's v points to another class.
func TestCheckInitA4SemiLocal(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, k := range []int{2, 3, 5} {
		spec := DataSpec{Kind: "synthetic", Classes: k, PerClass: 10, Dim: 12, Noise: 0.7, NormSpread: 3}
		ds, err := BuildDataset(spec, uint64(k))
		if err != nil {
			t.Fatal(err)
		}
		h := 3*k + 1
		w, v := make([][]float64, h), make([][]float64, h)
		sizes := make([]int, k)
		for j := 0; j < h; j++ {
			i := rng.IntN(ds.Train.N)
			if j < k {
				i = j * 10 // every class gets a neuron
			}
			c := ds.Train.Y[i]
			sizes[c]++
			w[j] = append([]float64(nil), ds.Train.Row(i)...)
			v[j] = make([]float64, k)
			for o := range v[j] {
				v[j][o] = 0.01 * etildeEntry(o, c, k)
			}
		}
		ic := CheckInit(netFromNeurons(w, v), ds)
		if ic.A4 == nil || !*ic.A4 || ic.A3 != nil {
			t.Fatalf("K=%d semi-local: A3 %v A4 %v, want A4 true", k, ic.A3, ic.A4)
		}
		for c := range sizes {
			if ic.A4GroupSizes[c] != sizes[c] {
				t.Errorf("K=%d: A4GroupSizes %v, want %v", k, ic.A4GroupSizes, sizes)
				break
			}
		}
		c := ds.Train.Y[0]
		for o := range v[0] {
			v[0][o] = etildeEntry(o, (c+1)%k, k)
		}
		if ic := CheckInit(netFromNeurons(w, v), ds); ic.A4 == nil || *ic.A4 {
			t.Errorf("K=%d, neuron 0's v to the wrong class: A4 %v, want false", k, ic.A4)
		}
	}
}

func TestCheckInitShapes(t *testing.T) {
	ds := theoryDataset(3, 2, [][]float64{{1, 0}, {0, 1}, {-1, -1}}, []int{0, 1, 2})
	// One output with three classes, and two outputs with three classes:
	// neither assumption applies.
	for _, out := range []int{1, 2} {
		if ic := CheckInit(NewNetwork(2, 4, out), ds); ic.A3 != nil || ic.A4 != nil {
			t.Errorf("out %d, K = 3: %+v, want neither", out, ic)
		}
	}
	if ic := CheckInit(NewNetwork(5, 4, 3), ds); ic.A3 != nil || ic.A4 != nil {
		t.Errorf("input dimension mismatch: %+v, want neither", ic)
	}
}
