"""SciPy's Gaussian filter, as the official RD4AD evaluation smooths its maps, for GaussianBlurTest.

Reads {"sigma": s, "width": w, "height": h, "plane": [...]} (row-major) from the file named on the command line and
prints the filtered plane as a JSON list. The plane is float64, as the official code's map is.
"""
import json
import sys

import numpy as np
from scipy.ndimage import gaussian_filter

fixture = json.load(open(sys.argv[1]))
plane = np.asarray(fixture["plane"], dtype=np.float64).reshape(fixture["height"], fixture["width"])
print(json.dumps(gaussian_filter(plane, sigma=fixture["sigma"]).ravel().tolist()))
