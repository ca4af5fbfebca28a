package sweep

import "testing"

func TestLocateKeys(t *testing.T) {
	text := `# comment with [brackets] and key = value
name = "a = [b"          # line 2
seed = [
  1, # a comment ] inside
  2,
]
desc = """
not_a_key = 1
"""
[data]                   # line 10
dim = 3
"quoted.key" = 1
model.width = 4
[ model ]
init_scale = { logspace = [-4,
  0, 3] }
t = { a = 1, b = { c = 2 } }
[train]
lr = 'x'
`
	ix := locateKeys([]byte(text))
	want := map[string]int{
		"name": 2, "seed": 3, "desc": 7, "data": 10, "data.dim": 11, "data.quoted.key": 12,
		"data.model.width": 13, "model": 14, "model.init_scale": 15, "model.init_scale.logspace": 15,
		"model.t.b.c": 17, "train.lr": 19,
		"not_a_key": 0, "model.absent": 14, "train.lr.x": 19,
	}
	for k, w := range want {
		if got := ix.line(k); got != w {
			t.Errorf("line(%q) = %d, want %d", k, got, w)
		}
	}
}

func TestEditDistance(t *testing.T) {
	cases := []struct {
		a, b string
		d    int
	}{
		{"", "abc", 3}, {"kitten", "sitting", 3}, {"modle", "model", 1}, {"init_scal", "init_scale", 1},
		{"width", "width", 0}, {"ab", "ba", 1}, {"ca", "abc", 3},
	}
	for _, c := range cases {
		if got := editDistance(c.a, c.b); got != c.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.d)
		}
	}
	if s := suggest("gausian", []string{"gaussian", "paper"}); s != "gaussian" {
		t.Errorf("suggest = %q", s)
	}
	if s := suggest("zzz", []string{"gaussian", "paper"}); s != "" {
		t.Errorf("suggest = %q, want none", s)
	}
}
