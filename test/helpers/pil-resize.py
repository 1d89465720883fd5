# Resizes a batch of images with Pillow's Image.resize(size, BICUBIC), as the
# Python image processors do (transformers passes no reducing_gap).
# argv[1]: a JSON file listing cases {input, format: "raw"|"file", width,
# height, output, target_width, target_height}; raw inputs are packed RGB.
# Writes each output as packed RGB and prints "done N".
import json
import sys

from PIL import Image, ImageOps

with open(sys.argv[1]) as f:
    cases = json.load(f)
for case in cases:
    if case["format"] == "raw":
        with open(case["input"], "rb") as f:
            image = Image.frombytes("RGB", (case["width"], case["height"]), f.read())
    else:
        # transformers' load_image: EXIF orientation applied, then RGB
        image = ImageOps.exif_transpose(Image.open(case["input"])).convert("RGB")
    out = image.resize((case["target_width"], case["target_height"]), Image.BICUBIC)
    with open(case["output"], "wb") as f:
        f.write(out.tobytes())
print(f"done {len(cases)}", flush=True)
