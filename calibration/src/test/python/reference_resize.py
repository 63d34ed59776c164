"""Pillow's bilinear Image.resize of 8-bit images, as the official code's torchvision transforms resize, for
FrameInputTest.

Reads {"width": w, "height": h, "images": [path, ...]} from the file named on the command line, opens each image with
Pillow, as gray ("L") or RGB as it is stored, resizes it to w x h with Image.BILINEAR and writes its pixels,
interleaved, to <path of the fixture>.<index>.raw.
"""
import json
import sys

from PIL import Image

fixture = json.load(open(sys.argv[1]))
for index, path in enumerate(fixture["images"]):
    image = Image.open(path)
    image = image.convert("L" if image.mode in ("L", "I;16", "I") else "RGB")
    resized = image.resize((fixture["width"], fixture["height"]), Image.BILINEAR)
    with open(f"{sys.argv[1]}.{index}.raw", "wb") as out:
        out.write(resized.tobytes())
