package core

import (
	"fmt"
	"math"
)

// lossFunc evaluates a loss over a batch of network outputs. f is nb x out
// row-major (nb = len(y)), y holds class indices. It returns the summed loss
// sum_i l(y_i, f_i) and, when g is non-nil, writes g = scale * dl/df
// (nb x out). It allocates nothing. Losses are computed so that they stay
// accurate when they are tiny (late training); a loss that overflows is
// returned as +Inf, never as a panic.
type lossFunc func(f []float64, y []int, out int, scale float64, g []float64) float64

// lossFor resolves a loss name ("exp", "logistic", "ce") into its function.
func lossFor(kind string) (lossFunc, error) {
	switch kind {
	case "exp":
		return expLoss, nil
	case "logistic":
		return logisticLoss, nil
	case "ce":
		return ceLoss, nil
	}
	return nil, fmt.Errorf("unknown loss %q (valid: exp, logistic, ce)", kind)
}

// binarySign maps a class index to the binary label: class 0 is y = +1,
// class 1 is y = -1.
func binarySign(c int) float64 {
	if c == 0 {
		return 1
	}
	return -1
}

// expLoss is l = exp(-y f) for a scalar output; dl/df = -y exp(-y f).
func expLoss(f []float64, y []int, _ int, scale float64, g []float64) float64 {
	var sum float64
	for i, c := range y {
		s := binarySign(c)
		e := math.Exp(-s * f[i])
		sum += e
		if g != nil {
			g[i] = -scale * s * e
		}
	}
	return sum
}

// logisticLoss is l = 2 log(1 + exp(-y f)) = 2 softplus(-y f), computed as
// 2 (max(z,0) + log1p(exp(-|z|))) so it is exact for tiny losses;
// dl/df = -2 y sigmoid(-y f).
func logisticLoss(f []float64, y []int, _ int, scale float64, g []float64) float64 {
	var sum float64
	for i, c := range y {
		s := binarySign(c)
		z := -s * f[i]
		sum += 2 * softplus(z)
		if g != nil {
			g[i] = -2 * scale * s * sigmoid(z)
		}
	}
	return sum
}

// softplus is log(1 + exp(z)) without overflow or loss of precision for
// large negative z.
func softplus(z float64) float64 {
	return math.Max(z, 0) + math.Log1p(math.Exp(-math.Abs(z)))
}

// sigmoid is 1/(1+exp(-z)), accurate in both tails.
func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// ceLoss is the softmax cross-entropy l = logsumexp(f) - f_y over out
// outputs; dl/df = softmax(f) - e_y. When f_y is the largest output the loss
// is log1p(sum_{k != y} exp(f_k - f_y)), so a huge margin gives ~exp(-margin)
// instead of 0, and the gradient entry for y is -(sum_{k != y} softmax_k)
// rather than the cancelling softmax_y - 1.
func ceLoss(f []float64, y []int, out int, scale float64, g []float64) float64 {
	var sum float64
	for i, c := range y {
		row := f[i*out : (i+1)*out]
		fy := row[c]
		m := fy
		for _, v := range row {
			if v > m {
				m = v
			}
		}
		// rest = sum_{k != y} exp(f_k - m); the terms are kept in g when a
		// gradient is wanted, to be normalised below.
		var gr []float64
		if g != nil {
			gr = g[i*out : (i+1)*out]
		}
		var rest float64
		for k, v := range row {
			if k != c {
				e := math.Exp(v - m)
				rest += e
				if gr != nil {
					gr[k] = e
				}
			}
		}
		total := rest + math.Exp(fy-m)
		if fy == m {
			sum += math.Log1p(rest) // exp(fy - m) == 1
		} else {
			sum += m - fy + math.Log(total)
		}
		if gr != nil {
			s := scale / total
			for k := range gr {
				if k != c {
					gr[k] *= s
				}
			}
			gr[c] = -scale * rest / total
		}
	}
	return sum
}
