# The Python image processors' pixel path (Qwen2VLImageProcessor, Glm46VImageProcessor), redone with
# Pillow and numpy for test/onnx-peer.test.ts: smart_resize with Python's round() and int(),
# convert_to_rgb (alpha composited on white), Image.resize(size, BICUBIC), rescale in float64 then
# float32, normalise in float32, and the patch order (view, permute, view).
# argv[1]: a JSON file listing cases {input, output, family, min_pixels, max_pixels, patch_size,
# merge_size, temporal_patch_size, rescale_factor, image_mean, image_std}.
# Writes each case's patches as little-endian float32 and prints one JSON line: [[t, h, w] or null, ...].
import json
import math
import sys

import numpy as np
from PIL import Image, ImageOps


def smart_resize(height, width, case):
    factor = case["patch_size"] * case["merge_size"]
    t = case["temporal_patch_size"] if case["family"] == "glm" else 1
    if case["family"] == "glm" and (height < factor or width < factor):
        scale = max(factor / height, factor / width)
        height, width = int(height * scale), int(width * scale)
    h_bar = round(height / factor) * factor
    w_bar = round(width / factor) * factor
    if t * h_bar * w_bar > case["max_pixels"]:
        beta = math.sqrt((t * height * width) / case["max_pixels"])
        h_bar = max(factor, math.floor(height / beta / factor) * factor)
        w_bar = max(factor, math.floor(width / beta / factor) * factor)
    elif t * h_bar * w_bar < case["min_pixels"]:
        beta = math.sqrt(case["min_pixels"] / (t * height * width))
        h_bar = math.ceil(height * beta / factor) * factor
        w_bar = math.ceil(width * beta / factor) * factor
    return h_bar, w_bar


def convert_to_rgb(image):
    if image.mode == "RGB":
        return image
    rgba = image.convert("RGBA")
    background = Image.new("RGBA", rgba.size, (255, 255, 255))
    return Image.alpha_composite(background, rgba).convert("RGB")


def patches(case):
    image = convert_to_rgb(ImageOps.exif_transpose(Image.open(case["input"])))
    if case["family"] != "glm" and min(image.height, image.width) < case["patch_size"] * case["merge_size"]:
        return None  # Qwen2VLImageProcessor's smart_resize raises ValueError
    height, width = smart_resize(image.height, image.width, case)
    image = image.resize((width, height), Image.BICUBIC)
    x = (np.asarray(image).astype(np.float64) * case["rescale_factor"]).astype(np.float32)
    x = (x - np.array(case["image_mean"], dtype=np.float32)) / np.array(case["image_std"], dtype=np.float32)
    x = x.transpose(2, 0, 1)[np.newaxis]  # 1, C, H, W
    p, m, tp = case["patch_size"], case["merge_size"], case["temporal_patch_size"]
    x = np.tile(x, (tp, 1, 1, 1))
    c = x.shape[1]
    gt, gh, gw = x.shape[0] // tp, height // p, width // p
    x = x.reshape(gt, tp, c, gh // m, m, p, gw // m, m, p).transpose(0, 3, 6, 4, 7, 2, 1, 5, 8)
    x = x.reshape(gt * gh * gw, c * tp * p * p)
    with open(case["output"], "wb") as f:
        f.write(x.astype("<f4").tobytes())
    return [gt, gh, gw]


with open(sys.argv[1]) as f:
    cases = json.load(f)
print(json.dumps([patches(case) for case in cases]), flush=True)
