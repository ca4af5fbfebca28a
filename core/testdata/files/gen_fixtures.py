# Regenerates the NumPy fixtures read by core/arrayfile_test.go:
#   cd core/testdata/files && python3 gen_fixtures.py   (NumPy 1.24.2 made the committed files)
# W0[i][j] = (i+1)*0.1 - j*0.01 (3 x 4) and V0[o][j] = (o+1)*0.5 - (j+1)*0.3
# (2 x 4): the Go test recomputes these formulas, so it checks that our reader
# returns exactly NumPy's values.
import numpy as np

i = np.arange(3, dtype=np.float64).reshape(3, 1)
j = np.arange(4, dtype=np.float64).reshape(1, 4)
W0 = (i + 1) * 0.1 - j * 0.01
o = np.arange(2, dtype=np.float64).reshape(2, 1)
V0 = (o + 1) * 0.5 - (j + 1) * 0.3

np.save("np_w0.npy", W0)                                  # '<f8', C order, format 1.0
np.save("np_w0_fortran.npy", np.asfortranarray(W0))       # fortran_order True
np.save("np_w0_f4.npy", W0.astype("<f4"))                 # float32
np.save("np_w0_big.npy", W0.astype(">f8"))                # big-endian float64
with open("np_w0_v2.npy", "wb") as f:
    np.lib.format.write_array(f, W0, version=(2, 0))
with open("np_w0_v3.npy", "wb") as f:
    np.lib.format.write_array(f, W0, version=(3, 0))
np.save("np_v0.npy", V0)
np.save("np_vec.npy", V0[0])                              # 1-D: must be rejected
np.save("np_i8.npy", np.arange(6, dtype=np.int64).reshape(2, 3))  # int64: rejected
np.savetxt("np_w0.csv", W0, delimiter=",", header="w0 saved by np.savetxt", fmt="%.17g")
