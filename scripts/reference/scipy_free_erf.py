"""Vectorised erf for numpy arrays without SciPy (math.erf element-wise, exact to double)."""
import math

import numpy as np

erf = np.vectorize(math.erf, otypes=[np.float64])
